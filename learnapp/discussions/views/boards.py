import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import ADMIN, LOGGED_IN, MANAGER, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.courses.models import Course
from learnapp.courses.queries import visible_courses
from learnapp.db import commit, get_session
from learnapp.discussions.access import branch_of, can_moderate_board, visible_boards
from learnapp.discussions.forms import BoardForm, BoardModeForm, EditForm, ReplyForm, ThreadForm
from learnapp.discussions.labels import BOARD_KIND_LABELS, HOLD_REASON_LABELS, MODE_LABELS
from learnapp.discussions.models import Board, BoardKind, ModerationMode, Post, PostState
from learnapp.discussions.queries import (
    first_unread_post_id,
    is_subscribed,
    page_of_post,
    posts_page,
    quoted_posts,
    revisions_of,
    threads_page,
)
from learnapp.discussions.services import posts as post_services
from learnapp.discussions.services.boards import (
    branch_board,
    create_platform_board,
    ensure_course_boards,
    set_board_mode,
)
from learnapp.discussions.views import bp
from learnapp.discussions.views.common import (
    load_board,
    load_post,
    load_thread,
    rules,
    side_write,
)
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import Unit


def _status(form, error: DomainError | None = None) -> int:
    if isinstance(error, post_services.RateLimited):
        return 429
    return 400 if form.errors or form.form_errors else 200


@bp.get("/boards")
@route_policy(LOGGED_IN)
def board_index():
    session = get_session()
    branch = branch_of(session, current_user)
    courses = visible_courses(session, current_user)
    stamp = now()

    def open_boards(side):
        # The member's branch board and course boards open on first visit (idempotent).
        if branch is not None:
            branch_board(side, side.get(Unit, branch.id), stamp)
        ensure_course_boards(side, [side.get(Course, c.id) for c in courses], stamp)

    side_write(open_boards)
    boards = visible_boards(session, current_user)
    return render_template("discussions/boards.html", boards=boards, kind_labels=BOARD_KIND_LABELS)


@bp.get("/courses/<int:course_id>/board")
@route_policy(LOGGED_IN)
def course_board(course_id):
    """The board of a course the user can see (opened on first visit)."""
    session = get_session()
    course = next((c for c in visible_courses(session, current_user) if c.id == course_id), None)
    if course is None:
        abort(404)
    side_write(lambda side: ensure_course_boards(side, [side.get(Course, course.id)], now()))
    board_id = session.scalar(
        sa.select(Board.id).where(Board.kind == BoardKind.COURSE, Board.course_id == course.id)
    )
    return redirect(url_for("discussions.board_detail", board_id=board_id))


@bp.route("/boards/new", methods=["GET", "POST"])
@route_policy(ADMIN)
def board_new():
    form = BoardForm()
    if form.validate_on_submit():
        try:
            board = create_platform_board(
                get_session(),
                current_user,
                name=form.name.data,
                description=form.description.data,
                mode=ModerationMode(form.mode.data),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Board %(name)s opened.", name=board.name), "success")
            return redirect(url_for("discussions.board_detail", board_id=board.id))
    return render_template("discussions/board_form.html", form=form), _status(form)


@bp.get("/boards/<int:board_id>")
@route_policy(LOGGED_IN)
def board_detail(board_id):
    board = load_board(board_id)
    page = threads_page(get_session(), board, current_user, strict_int_arg("page") or 1)
    moderator = can_moderate_board(current_user, board)
    mode_form = BoardModeForm(mode=board.moderation_mode.value) if moderator else None
    return render_template(
        "discussions/board.html",
        board=board,
        page=page,
        moderator=moderator,
        mode_form=mode_form,
        kind_labels=BOARD_KIND_LABELS,
        mode_labels=MODE_LABELS,
    )


@bp.post("/boards/<int:board_id>/mode")
@route_policy(MANAGER)
def board_mode(board_id):
    board = load_board(board_id)
    form = BoardModeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_board_mode(get_session(), current_user, board, ModerationMode(form.mode.data), now())
    except DomainError:
        abort(403)
    commit()
    flash(_("Moderation setting saved."), "success")
    return redirect(url_for("discussions.board_detail", board_id=board.id))


@bp.route("/boards/<int:board_id>/threads/new", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def thread_new(board_id):
    board = load_board(board_id)
    form = ThreadForm()
    error = None
    if form.validate_on_submit():
        try:
            thread = post_services.create_thread(
                get_session(),
                current_user,
                board,
                title=form.title.data,
                body=form.body.data,
                now=now(),
                rules=rules(),
            )
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            if thread.state == PostState.HELD:
                flash(_("Your thread is waiting for a moderator's review."), "warning")
            else:
                flash(_("Thread posted."), "success")
            return redirect(url_for("discussions.thread_detail", thread_id=thread.id))
    return render_template("discussions/thread_form.html", form=form, board=board), _status(
        form, error
    )


def _render_thread(thread, reply_form, status=200):
    session = get_session()
    moderator = can_moderate_board(current_user, thread.board)
    page = posts_page(session, thread, current_user, strict_int_arg("page") or 1, moderator)
    published = [p.id for p in page.items if p.state == PostState.PUBLISHED]
    # A failed POST re-renders the page inside its own write transaction: no side write then.
    if published and request.method == "GET":
        user_id, thread_id, last = current_user.id, thread.id, max(published)
        side_write(lambda s: post_services.mark_thread_read(s, user_id, thread_id, last))
    quoting = None
    quoted_id = reply_form.quoted_post_id.data or ""
    if quoted_id.isascii() and quoted_id.isdigit():
        quoting = session.get(Post, int(quoted_id))
        if (
            quoting is None
            or quoting.thread_id != thread.id
            or quoting.state != PostState.PUBLISHED
        ):
            quoting = None
    return render_template(
        "discussions/thread.html",
        thread=thread,
        page=page,
        quotes=quoted_posts(session, page.items),
        moderator=moderator,
        subscribed=is_subscribed(session, current_user, thread),
        reply_form=reply_form,
        action_form=EmptyForm(),
        edit_window=rules().edit_window_seconds,
        now=now(),
        hold_labels=HOLD_REASON_LABELS,
        quoting=quoting,
    ), status


@bp.get("/threads/<int:thread_id>")
@route_policy(LOGGED_IN)
def thread_detail(thread_id):
    thread = load_thread(thread_id)
    if request.args.get("unread") == "1":
        post_id = first_unread_post_id(get_session(), thread, current_user)
        if post_id:
            return redirect(url_for("discussions.post_link", thread_id=thread.id, post_id=post_id))
    form = ReplyForm()
    quote_id = strict_int_arg("quote")
    if quote_id:
        form.quoted_post_id.data = str(quote_id)
    return _render_thread(thread, form)


@bp.get("/threads/<int:thread_id>/posts/<int:post_id>")
@route_policy(LOGGED_IN)
def post_link(thread_id, post_id):
    """A stable link to one post: the page it is on, scrolled to it."""
    thread = load_thread(thread_id)
    post = load_post(post_id)
    if post.thread_id != thread.id:
        abort(404)
    moderator = can_moderate_board(current_user, thread.board)
    page = page_of_post(get_session(), thread, current_user, post.id, moderator)
    return redirect(
        url_for("discussions.thread_detail", thread_id=thread.id, page=page) + f"#post-{post.id}"
    )


@bp.post("/threads/<int:thread_id>/reply")
@route_policy(LOGGED_IN)
def thread_reply(thread_id):
    thread = load_thread(thread_id)
    form = ReplyForm()
    error = None
    if form.validate_on_submit():
        quoted = form.quoted_post_id.data or ""
        try:
            post = post_services.reply(
                get_session(),
                current_user,
                thread,
                body=form.body.data,
                quoted_post_id=int(quoted) if quoted.isdigit() and quoted.isascii() else None,
                now=now(),
                rules=rules(),
            )
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            if post.state == PostState.HELD:
                flash(_("Your reply is waiting for a moderator's review."), "warning")
            return redirect(url_for("discussions.post_link", thread_id=thread.id, post_id=post.id))
    return _render_thread(thread, form, _status(form, error))


@bp.post("/threads/<int:thread_id>/flags")
@route_policy(MANAGER)
def thread_flags(thread_id):
    thread = load_thread(thread_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    flag = request.form.get("flag", "")
    values = {"pin": {"pinned": True}, "unpin": {"pinned": False}}
    values |= {"lock": {"locked": True}, "unlock": {"locked": False}}
    if flag not in values:
        abort(400)
    try:
        post_services.set_thread_flags(
            get_session(), current_user, thread, now=now(), **values[flag]
        )
    except DomainError:
        abort(403)
    commit()
    return redirect(url_for("discussions.thread_detail", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/subscription")
@route_policy(LOGGED_IN)
def thread_subscription(thread_id):
    thread = load_thread(thread_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    subscribe = request.form.get("subscribe") == "1"
    post_services.set_subscription(get_session(), current_user, thread, subscribe, now())
    commit()
    flash(
        _("You will be notified of new replies.")
        if subscribe
        else _("You will no longer be notified of new replies."),
        "info",
    )
    return redirect(url_for("discussions.thread_detail", thread_id=thread.id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def post_edit(post_id):
    post = load_post(post_id)
    if post.author_id != current_user.id:
        abort(403)
    form = EditForm()
    if request.method == "GET":
        form.body.data = post.body_source
        form.title.data = post.thread.title if post.is_opening else None
    error = None
    if form.validate_on_submit():
        try:
            post_services.edit_post(
                get_session(),
                current_user,
                post,
                body=form.body.data,
                title=form.title.data,
                now=now(),
                rules=rules(),
            )
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            if post.state == PostState.HELD:
                flash(_("Your post is waiting for a moderator's review."), "warning")
            else:
                flash(_("Post saved."), "success")
            return redirect(
                url_for("discussions.post_link", thread_id=post.thread_id, post_id=post.id)
            )
    status = 403 if error is not None and error.field is None else _status(form, error)
    return render_template("discussions/post_edit.html", form=form, post=post), status


@bp.post("/posts/<int:post_id>/delete")
@route_policy(LOGGED_IN)
def post_delete(post_id):
    post = load_post(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        post_services.delete_post(get_session(), current_user, post, now())
    except DomainError:
        abort(403)
    commit()
    flash(_("Post deleted."), "info")
    if post.is_opening:
        return redirect(url_for("discussions.board_detail", board_id=post.thread.board_id))
    return redirect(url_for("discussions.thread_detail", thread_id=post.thread_id))


@bp.get("/posts/<int:post_id>/history")
@route_policy(LOGGED_IN)
def post_history(post_id):
    post = load_post(post_id)
    if post.author_id != current_user.id and not can_moderate_board(
        current_user, post.thread.board
    ):
        abort(404)
    return render_template(
        "discussions/post_history.html", post=post, revisions=revisions_of(get_session(), post)
    )
