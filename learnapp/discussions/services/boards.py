"""Creating boards: platform boards by administrators, one board per branch, one per course."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.discussions.models import Board, BoardKind, ModerationMode
from learnapp.discussions.services.text import clean_title, one_line
from learnapp.errors import DomainError
from learnapp.orgs.models import BRANCH_KINDS, Unit


def create_platform_board(
    session: Session,
    actor,
    *,
    name: str,
    description: str,
    mode: ModerationMode,
    now: datetime,
) -> Board:
    """Platform-wide boards are opened by administrators only."""
    if actor is not None and not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can open a platform board."))
    board = Board(
        kind=BoardKind.PLATFORM,
        name=clean_title(name, 100, "name"),
        description=one_line(description, 500),
        moderation_mode=mode,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(board)
    session.flush()
    record(session, actor, "board.created", "board", board.id, now=now, after={"name": board.name})
    return board


def set_board_mode(session: Session, actor, board: Board, mode: ModerationMode, now) -> None:
    """How a board holds posts; changed by its moderators (audited)."""
    from learnapp.discussions.access import can_moderate_board

    if not can_moderate_board(actor, board):
        raise DomainError(None, _l("Only the board's moderators can do this."))
    before = board.moderation_mode.value
    board.moderation_mode = mode
    session.flush()
    record(
        session,
        actor,
        "board.mode",
        "board",
        board.id,
        now=now,
        before={"mode": before},
        after={"mode": mode.value},
    )


def branch_board(session: Session, branch: Unit, now: datetime) -> Board:
    """The branch's board, opened on first need (idempotent: one per branch)."""
    if branch.kind not in BRANCH_KINDS:
        raise DomainError(None, "not a branch")
    board = session.scalar(
        sa.select(Board).where(Board.kind == BoardKind.BRANCH, Board.unit_id == branch.id)
    )
    if board is None:
        board = Board(
            kind=BoardKind.BRANCH,
            name=branch.name,
            description="",
            unit_id=branch.id,
            created_at=now,
        )
        session.add(board)
        session.flush()
    return board


def ensure_course_boards(session: Session, courses, now: datetime) -> None:
    """Each course gets its board on first need (idempotent: one per course)."""
    ids = [course.id for course in courses]
    if not ids:
        return
    existing = set(
        session.scalars(
            sa.select(Board.course_id).where(
                Board.kind == BoardKind.COURSE, Board.course_id.in_(ids)
            )
        )
    )
    for course in courses:
        if course.id not in existing:
            session.add(
                Board(
                    kind=BoardKind.COURSE,
                    name=course.title[:100],
                    course_id=course.id,
                    created_at=now,
                )
            )
    session.flush()
