"""The anonymous evaluation (民主测评): casting ballots and reading their aggregates.

What could tie a ballot to its voter, and what defeats it:
- a voter column or a timestamp: the ballot has neither; the roll says only *whether* someone
  voted, not when;
- keys or storage in the order of voting: ballot keys are random, the blank slots are written
  all at once when the evaluation opens (before anyone votes) and a vote fills a random free
  one; on SQLite both tables are WITHOUT ROWID, so there is no hidden insertion counter;
- the writing transaction and storage order (PostgreSQL's xmin and ctid): every vote rewrites
  every slot of the period in one statement, each row once in storage order, so all ballots
  carry the last vote's transaction and keep their creation order, and none stands out;
- the ballot's shape: it must rate every member of the period, the voter included, so the set
  of names on it is the same for everyone;
- audit log, application log, notifications: casting a ballot writes none of them;
- watching the aggregate change after each vote: aggregates appear only after the evaluation
  has closed, and only when at least MIN_GROUP ballots were cast.
"""

import json
import secrets
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments.models import (
    GRADE_ORDER,
    AssessmentPeriod,
    Ballot,
    Grade,
    Step,
    VoterRoll,
)
from learnapp.db import pinyin_order
from learnapp.errors import DomainError

MIN_GROUP = 5
_random = secrets.SystemRandom()


def roll_entry(session: Session, period: AssessmentPeriod, user: User) -> VoterRoll | None:
    return session.get(VoterRoll, (period.id, user.id))


def ballot_subjects(session: Session, period: AssessmentPeriod) -> list[User]:
    """The members every ballot rates, as fixed when the evaluation opened, by name."""
    ids = period.ballot_member_ids or []
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(User)
            .where(User.id.in_(ids))
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )


def cast_ballot(
    session: Session, voter: User, period: AssessmentPeriod, ratings: dict[int, Grade]
) -> None:
    """Record one anonymous ballot rating every member of the period; a second one is refused.

    Takes no `now`: nothing about the ballot or the vote is timed.
    """
    if period.step != Step.EVALUATION:
        raise DomainError(None, _l("The evaluation is not open."))
    if roll_entry(session, period, voter) is None:
        raise DomainError(None, _l("You have no vote in this evaluation."))
    subject_ids = {m.id for m in ballot_subjects(session, period)}
    if set(ratings) != subject_ids or not all(isinstance(g, Grade) for g in ratings.values()):
        raise DomainError(None, _l("Rate every member listed on the ballot."))
    claimed = session.execute(
        sa.update(VoterRoll)
        .where(
            VoterRoll.period_id == period.id,
            VoterRoll.voter_id == voter.id,
            VoterRoll.has_voted.is_(False),
        )
        .values(has_voted=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DomainError(None, _l("You have already voted."))
    content = json.dumps({str(k): ratings[k].value for k in sorted(ratings)}, sort_keys=True)
    # Votes of one period take turns (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already
    # serialises writers), so the free slot chosen below is still free when it is filled.
    session.execute(
        sa.select(AssessmentPeriod.id).where(AssessmentPeriod.id == period.id).with_for_update()
    )
    free = list(
        session.scalars(
            sa.select(Ballot.id).where(Ballot.period_id == period.id, Ballot.ratings.is_(None))
        )
    )
    if not free:
        raise DomainError(None, _l("No ballot is left for you; ask the secretary."))
    slot = _random.choice(free)
    # One statement fills the slot and rewrites every other slot of the period, each row once,
    # in storage order: on PostgreSQL all ballots then carry the same transaction (xmin) and
    # keep their relative storage order, so neither singles out the ballot just cast.
    session.execute(
        sa.update(Ballot)
        .where(Ballot.period_id == period.id)
        .values(ratings=sa.case((Ballot.id == slot, sa.literal(content)), else_=Ballot.ratings))
        .execution_options(synchronize_session=False)
    )


@dataclass
class Turnout:
    voters: int
    voted: int


def turnout(session: Session, period: AssessmentPeriod) -> Turnout:
    voters, voted = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((VoterRoll.has_voted.is_(True), 1), else_=0)), 0),
        ).where(VoterRoll.period_id == period.id)
    ).one()
    return Turnout(int(voters), int(voted))


@dataclass
class Aggregates:
    ballots: int
    shown: bool  # False while voting is open or when fewer than MIN_GROUP ballots were cast
    by_member: dict[int, dict[Grade, int]]


def aggregates(session: Session, period: AssessmentPeriod) -> Aggregates:
    """Counts of each grade per member, only after the evaluation closed and for ≥ 5 ballots."""
    rows = list(
        session.scalars(
            sa.select(Ballot.ratings).where(
                Ballot.period_id == period.id, Ballot.ratings.is_not(None)
            )
        )
    )
    closed = period.step.position > Step.EVALUATION.position
    if not closed or len(rows) < MIN_GROUP:
        return Aggregates(len(rows), False, {})
    counts: dict[int, Counter] = {}
    for text in rows:
        for member_id, grade in json.loads(text).items():
            counts.setdefault(int(member_id), Counter())[Grade(grade)] += 1
    return Aggregates(
        len(rows),
        True,
        {m: {g: c[g] for g in GRADE_ORDER} for m, c in counts.items()},
    )
