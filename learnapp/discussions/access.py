"""Who sees and who moderates a board.

A branch board is for the members of that branch (their unit is the branch or one of its party
groups); the secretaries and committee members of the branch and of every unit above it moderate
it, and see it for that reason. Platform boards are for everyone and moderated by administrators.
A course board is for the course's audience as the courses package defines it.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.authz import can_manage_unit, unit_in_scope_clause
from learnapp.courses.models import Course
from learnapp.courses.queries import visible_courses
from learnapp.discussions.models import Board, BoardKind
from learnapp.orgs.models import BRANCH_KINDS, Unit


def branch_of(session: Session, user) -> Unit | None:
    """The member's branch: their unit when it is a branch, else its branch ancestor."""
    if user.unit is None:
        return None
    if user.unit.kind in BRANCH_KINDS:
        return user.unit
    ids = user.unit.ancestor_ids()
    if not ids:
        return None
    return session.scalar(
        sa.select(Unit)
        .where(Unit.id.in_(ids), Unit.kind.in_(BRANCH_KINDS))
        .order_by(sa.func.length(Unit.path).desc())
        .limit(1)
    )


def visible_course_ids(session: Session, user) -> set[int]:
    return {course.id for course in visible_courses(session, user)}


def can_moderate_board(user, board: Board) -> bool:
    if user.is_admin:
        return True
    if board.kind == BoardKind.BRANCH and board.unit is not None:
        return can_manage_unit(user, board.unit)
    if board.kind == BoardKind.COURSE and board.course is not None:
        # The managers of the unit that owns the course.
        return can_manage_unit(user, board.course.owner_unit)
    return False


def can_view_board(session: Session, user, board: Board) -> bool:
    if board.kind == BoardKind.PLATFORM:
        return True
    if can_moderate_board(user, board):
        return True
    if board.kind == BoardKind.BRANCH:
        unit = user.unit
        return unit is not None and board.unit is not None and unit.is_within(board.unit)
    if board.kind == BoardKind.COURSE:
        return board.course_id in visible_course_ids(session, user)
    return False


def moderated_boards_clause(user):
    """SQL condition on Board: the boards this user moderates."""
    if user.is_admin:
        return sa.true()
    units = sa.select(Unit.id).where(unit_in_scope_clause(user, Unit.path))
    return sa.or_(
        sa.and_(Board.kind == BoardKind.BRANCH, Board.unit_id.in_(units)),
        sa.and_(
            Board.kind == BoardKind.COURSE,
            Board.course_id.in_(sa.select(Course.id).where(Course.owner_unit_id.in_(units))),
        ),
    )


def visible_boards(session: Session, user) -> list[Board]:
    """Platform boards, the member's branch board, boards they moderate and their courses'."""
    conditions = [Board.kind == BoardKind.PLATFORM, moderated_boards_clause(user)]
    branch = branch_of(session, user)
    if branch is not None:
        conditions.append(sa.and_(Board.kind == BoardKind.BRANCH, Board.unit_id == branch.id))
    course_ids = visible_course_ids(session, user)
    if course_ids:
        conditions.append(sa.and_(Board.kind == BoardKind.COURSE, Board.course_id.in_(course_ids)))
    kind_order = sa.case(
        (Board.kind == BoardKind.PLATFORM, 0), (Board.kind == BoardKind.BRANCH, 1), else_=2
    )
    return list(
        session.scalars(
            sa.select(Board)
            .where(sa.or_(*conditions), Board.is_archived.is_(False))
            .order_by(kind_order, Board.id)
        )
    )
