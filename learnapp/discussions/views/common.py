"""Loading objects for views: out of scope answers 404, as everywhere."""

from collections.abc import Callable

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from learnapp.db import get_db, get_session, write_intent
from learnapp.discussions.access import can_moderate_board, can_view_board
from learnapp.discussions.models import Board, Post, PostState, Thread
from learnapp.discussions.services.posts import PostingRules, RateLimited, rules_from_config
from learnapp.errors import DomainError


def rules() -> PostingRules:
    return rules_from_config(current_app.config)


def load_board(board_id: int) -> Board:
    session = get_session()
    board = session.get(Board, board_id)
    if board is None or board.is_archived or not can_view_board(session, current_user, board):
        abort(404)
    return board


def load_thread(thread_id: int) -> Thread:
    session = get_session()
    thread = session.get(Thread, thread_id)
    if thread is None or not can_view_board(session, current_user, thread.board):
        abort(404)
    if thread.state != PostState.PUBLISHED and not (
        can_moderate_board(current_user, thread.board)
        or (thread.state == PostState.HELD and thread.author_id == current_user.id)
    ):
        abort(404)
    return thread


def load_post(post_id: int) -> Post:
    post = get_session().get(Post, post_id)
    if post is None:
        abort(404)
    load_thread(post.thread_id)
    if post.state == PostState.HELD and not (
        post.author_id == current_user.id or can_moderate_board(current_user, post.thread.board)
    ):
        abort(404)
    return post


def side_write(work: Callable[[Session], None]) -> None:
    """Run a small idempotent write (read markers, read receipts, opening a board) from a GET in
    its own short write transaction: the request's own transaction is read-only and, on SQLite,
    could not be upgraded to a write safely under concurrent workers. The request's read
    transaction is then ended (it has nothing to lose), so that its next query sees the write."""
    token = write_intent.set(True)
    try:
        with get_db().session_scope() as session:
            work(session)
    finally:
        write_intent.reset(token)
    get_session().rollback()


def form_status(form, error: DomainError | None = None) -> int:
    """429 when the member posts too fast, 400 when the form has errors, else 200."""
    if isinstance(error, RateLimited):
        return 429
    return 400 if form.errors or form.form_errors else 200
