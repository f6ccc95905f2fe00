"""Who a quiz is for, as SQL: the members of its audience that a manager reaches, and those of
them who have not finished it yet (the first thing a secretary chases). The same rule as
`attempts.in_audience`, which checks one member in Python: audience units cover their subtrees
(without any, the owner unit's subtree), no categories means every category; only active
accounts count. A manager never sees past their own subtrees (`unit_in_scope_clause`)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.authz import unit_in_scope_clause
from learnapp.db import pinyin_order, tree_order, within_path
from learnapp.orgs.models import MemberCategory, Unit
from learnapp.quizzes.models import Attempt, AttemptState, Quiz

LIST_LIMIT = 200  # names listed on a page; the count is always whole


def _audience_clause(quiz: Quiz):
    units = quiz.audience_units or [quiz.owner_unit]
    clause = sa.or_(*(within_path(Unit.path, unit.path) for unit in units))
    if quiz.audience_categories:
        categories = [MemberCategory(code) for code in quiz.audience_categories]
        clause = sa.and_(clause, User.category.in_(categories))
    return clause


def members_in_reach(actor, quiz: Quiz) -> sa.Select:
    """SELECT of the active members of the quiz's audience in the actor's subtrees."""
    return (
        sa.select(User)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.is_active.is_(True),
            _audience_clause(quiz),
            unit_in_scope_clause(actor, Unit.path),
        )
    )


def _finished(quiz: Quiz):
    """The member has handed in an attempt (graded or waiting for a marker)."""
    return (
        sa.select(Attempt.id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.member_id == User.id,
            Attempt.state != AttemptState.IN_PROGRESS,
        )
        .exists()
    )


@dataclass(frozen=True)
class Outstanding:
    """Audience members in reach without a finished attempt: how many, and the first of them
    (by unit, then name) with whether they have an attempt open right now."""

    count: int
    members: list[User]
    in_progress: set[int]  # member ids with an attempt in progress

    @property
    def truncated(self) -> bool:
        return self.count > len(self.members)


def outstanding_members(
    session: Session, actor, quiz: Quiz, limit: int | None = LIST_LIMIT
) -> Outstanding:
    """The audience members within the actor's reach who have not finished the quiz: all of
    them counted, the first `limit` listed (None: all)."""
    query = members_in_reach(actor, quiz).where(~_finished(quiz))
    count = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    query = query.order_by(tree_order(Unit.path), pinyin_order(User.display_name), User.id)
    members = list(session.scalars(query.limit(limit)))
    # At most one attempt in progress per member: no more rows than the audience has.
    answering = set(
        session.scalars(
            sa.select(Attempt.member_id).where(
                Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.IN_PROGRESS
            )
        )
    )
    in_progress = {m.id for m in members if m.id in answering}
    return Outstanding(count=count or 0, members=members, in_progress=in_progress)
