"""Threads and posts: reading with markers, replying and quoting, pins and locks, following,
likes, editing with history, deleting."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import LOGGED_IN, MANAGER, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.discussions.access import can_moderate_board
from learnapp.discussions.forms import EditForm, ReplyForm
from learnapp.discussions.labels import HOLD_REASON_LABELS
from learnapp.discussions.models import PostState, Thread
from learnapp.discussions.queries import (
    first_unread_post_id,
    is_subscribed,
    likes_of,
    page_of_post,
    posts_page,
    quotable_post,
    quoted_posts,
    read_marker,
    reported_by,
    revisions_of,
)
from learnapp.discussions.services import engagement
from learnapp.discussions.services import posts as post_services
from learnapp.discussions.views import MAX_ID, bp
from learnapp.discussions.views.common import (
    form_status,
    load_board,
    load_post,
    load_thread,
    rules,
    side_write,
)
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm


def _quoted_id(raw: str | None) -> int | None:
    """The reply form's hidden quoted post: empty, or one ASCII integer id, else 400."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID):
        abort(400)
    return int(raw)


def _render_thread(thread, reply_form, status=200):
    session = get_session()
    moderator = can_moderate_board(current_user, thread.board)
    page = posts_page(session, thread, current_user, strict_int_arg("page") or 1, moderator)
    # Shown above the reply box, on the first render and on an error's re-render alike, so a
    # quote is never attached unseen; the hidden field carries the same id.
    quoting = quotable_post(session, thread, _quoted_id(reply_form.quoted_post_id.data))
    html = render_template(
        "discussions/thread.html",
        thread=thread,
        page=page,
        quotes=quoted_posts(session, page.items),
        likes=likes_of(session, page.items, current_user),
        reported=reported_by(session, page.items, current_user),
        moderator=moderator,
        subscribed=is_subscribed(session, current_user, thread),
        reply_form=reply_form,
        action_form=EmptyForm(),
        edit_window=rules().edit_window_seconds,
        now=now(),
        hold_labels=HOLD_REASON_LABELS,
        quoting=quoting,
    )
    # After rendering: the side write ends the request's read transaction, which would make
    # every loaded post reload. A failed POST re-renders inside its own write transaction, and
    # a marker that would not move needs no write at all.
    published = [p.id for p in page.items if p.state == PostState.PUBLISHED]
    if published and request.method == "GET":
        user_id, thread_id, last = current_user.id, thread.id, max(published)
        if (read_marker(session, user_id, thread_id) or 0) < last:
            side_write(lambda s: engagement.mark_thread_read(s, user_id, thread_id, last))
    return html, status


@bp.get("/threads/<int:thread_id>")
@route_policy(LOGGED_IN)
def thread_detail(thread_id):
    thread = load_thread(thread_id)
    if request.args.get("unread") == "1":
        post_id = first_unread_post_id(get_session(), thread, current_user)
        if post_id:
            return redirect(url_for("discussions.post_link", thread_id=thread.id, post_id=post_id))
    form = ReplyForm()
    # A quote the member may not see (another thread's, held, removed) is dropped here rather
    # than carried in the hidden field, where it would only fail on submit.
    quote_id = strict_int_arg("quote")
    if quote_id is not None and quote_id > MAX_ID:
        abort(400)
    quoting = quotable_post(get_session(), thread, quote_id)
    if quoting is not None:
        form.quoted_post_id.data = str(quoting.id)
    return _render_thread(thread, form)


@bp.get("/threads/<int:thread_id>/posts/<int:post_id>")
@route_policy(LOGGED_IN)
def post_link(thread_id, post_id):
    """A stable link to one post: the page it is on, scrolled to it. Notifications link here;
    when the thread has since been withdrawn or removed, the reader lands on its board and is
    told, rather than on a page that does not exist."""
    gone = get_session().get(Thread, thread_id)
    if (
        gone is not None
        and gone.state in (PostState.DELETED, PostState.REJECTED)
        and not can_moderate_board(current_user, gone.board)
    ):
        board = load_board(gone.board_id)
        flash(_("This thread is no longer available."), "info")
        return redirect(url_for("discussions.board_detail", board_id=board.id))
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
    quoted_id = _quoted_id(form.quoted_post_id.data)
    error = None
    if form.validate_on_submit():
        try:
            post = post_services.reply(
                get_session(),
                current_user,
                thread,
                body=form.body.data,
                quoted_post_id=quoted_id,
                now=now(),
                rules=rules(),
            )
        except post_services.DuplicatePost as duplicate:
            flash(str(duplicate.message), "warning")
            return redirect(
                url_for("discussions.post_link", thread_id=thread.id, post_id=duplicate.post.id)
            )
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            if post.state == PostState.HELD:
                flash(_("Your reply is waiting for a moderator's review."), "warning")
            return redirect(url_for("discussions.post_link", thread_id=thread.id, post_id=post.id))
    return _render_thread(thread, form, form_status(form, error))


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
        engagement.set_thread_flags(get_session(), current_user, thread, now=now(), **values[flag])
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
    engagement.set_subscription(get_session(), current_user, thread, subscribe, now())
    commit()
    flash(
        _("You will be notified of new replies.")
        if subscribe
        else _("You will no longer be notified of new replies."),
        "info",
    )
    return redirect(url_for("discussions.thread_detail", thread_id=thread.id))


@bp.post("/posts/<int:post_id>/like")
@route_policy(LOGGED_IN)
def post_like(post_id):
    post = load_post(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        engagement.set_like(
            get_session(), current_user, post, request.form.get("like") == "1", now()
        )
    except DomainError:
        abort(403)
    commit()
    return redirect(url_for("discussions.post_link", thread_id=post.thread_id, post_id=post.id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def post_edit(post_id):
    post = load_post(post_id)
    if post.author_id != current_user.id:
        abort(403)
    form = EditForm()
    if request.method == "GET":
        # Said when the form would open (the edit window has passed, the post is gone), not
        # only on saving; a save that comes too late keeps its text on the form with the reason.
        try:
            post_services.check_editable(current_user, post, now(), rules())
        except DomainError as refused:
            page = render_template("discussions/post_edit.html", post=post, refusal=refused.message)
            return page, 403
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
    status = 403 if error is not None and error.field is None else form_status(form, error)
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
