"""Boards: the list, one board's threads, opening boards and threads, following a board."""

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
from learnapp.discussions.forms import BoardForm, BoardModeForm, ThreadForm
from learnapp.discussions.labels import BOARD_KIND_LABELS, MODE_LABELS
from learnapp.discussions.models import Board, BoardKind, ModerationMode, PostState
from learnapp.discussions.queries import (
    follows_board,
    threads_page,
)
from learnapp.discussions.services import engagement
from learnapp.discussions.services import posts as post_services
from learnapp.discussions.services.boards import (
    branch_board,
    create_platform_board,
    ensure_course_boards,
    set_board_mode,
)
from learnapp.discussions.views import bp
from learnapp.discussions.views.common import (
    form_status,
    load_board,
    rules,
    side_write,
)
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import Unit


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
    return render_template("discussions/board_form.html", form=form), form_status(form)


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
        following=follows_board(get_session(), current_user, board),
        action_form=EmptyForm(),
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


@bp.post("/boards/<int:board_id>/subscription")
@route_policy(LOGGED_IN)
def board_subscription(board_id):
    board = load_board(board_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    follow = request.form.get("subscribe") == "1"
    engagement.set_board_subscription(get_session(), current_user, board, follow, now())
    commit()
    flash(
        _("You will be notified of new threads on this board.")
        if follow
        else _("You will no longer be notified of new threads on this board."),
        "info",
    )
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
        except post_services.DuplicatePost as duplicate:
            flash(str(duplicate.message), "warning")
            return redirect(
                url_for("discussions.thread_detail", thread_id=duplicate.post.thread_id)
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
    return render_template("discussions/thread_form.html", form=form, board=board), form_status(
        form, error
    )
