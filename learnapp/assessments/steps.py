"""The steps of a period (民主评议): opening each one on schedule or ahead of it, with what
entering it does (the voter roll and blank ballots for the evaluation, the frozen dossiers and
the lapse of undecided 积分 items for the committee), and telling members what is open.
Services flush and never commit."""

import secrets
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import evidence
from learnapp.assessments.models import (
    SCHEDULED,
    AssessmentPeriod,
    Ballot,
    Dossier,
    Step,
    VoterRoll,
)
from learnapp.assessments.notices import STEP_OPEN
from learnapp.assessments.points import LAST_POINT_STEP, lapse_pending, pending_items
from learnapp.assessments.rules import ScoreRules
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.notifications.services import notify
from learnapp.orgs.models import MemberCategory


def move_step(
    session: Session, period: AssessmentPeriod, source: Step, target: Step, **values
) -> None:
    """The transition as one conditional UPDATE, so two callers cannot both make it."""
    moved = session.execute(
        sa.update(AssessmentPeriod)
        .where(AssessmentPeriod.id == period.id, AssessmentPeriod.step == source)
        .values(step=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise DomainError(None, _l("The period has moved on meanwhile. Reload the page."))
    session.refresh(period)


def voters(session: Session, period: AssessmentPeriod) -> list[User]:
    """Members with a vote: full members (预备党员 have none)."""
    return [
        m for m in evidence.period_members(session, period) if m.category == MemberCategory.FULL
    ]


def ballots_cast(session: Session, period: AssessmentPeriod) -> int:
    """How many on the voter roll have voted (never who voted what)."""
    return session.scalar(
        sa.select(sa.func.count()).where(
            VoterRoll.period_id == period.id, VoterRoll.has_voted.is_(True)
        )
    )


def _open_evaluation(session: Session, period: AssessmentPeriod) -> None:
    """The roll, and one blank ballot slot per voter under random keys, written together."""
    period.ballot_member_ids = [m.id for m in evidence.period_members(session, period)]
    roll = voters(session, period)
    if roll:
        session.execute(
            sa.insert(VoterRoll),
            [{"period_id": period.id, "voter_id": m.id, "has_voted": False} for m in roll],
        )
        session.execute(
            sa.insert(Ballot),
            [{"id": secrets.token_hex(16), "period_id": period.id, "ratings": None} for _ in roll],
        )


def freeze(
    session: Session, period: AssessmentPeriod, now: datetime, cache: dict | None = None
) -> int:
    """Compute and store every member's dossier with a copy of the rules: the evidence the
    committee decides on. Returns how many were written."""
    rule_set = period.rule_set
    computed = evidence.compute(
        session, period, ScoreRules.from_json(rule_set.rules), now, cache=cache
    )
    if computed:
        session.execute(
            sa.insert(Dossier),
            [
                {
                    "period_id": period.id,
                    "member_id": member_id,
                    "evidence": data,
                    "score": Decimal(data["score"]["total"]),
                    "rule_set_id": rule_set.id,
                    "rule_version": rule_set.version,
                    "rules": rule_set.rules,
                    "frozen_at": now,
                }
                for member_id, data in computed.items()
            ],
        )
    return len(computed)


def advance(
    session: Session,
    actor: User | None,
    period: AssessmentPeriod,
    now: datetime,
    cache: dict | None = None,
    *,
    allow_no_ballots: bool = False,
    confirmed_lapse: Collection[int] = (),
) -> Step:
    """Open the next scheduled step now (the schedule job, or the secretary ahead of time).

    Entering the evaluation writes the voter roll and the blank ballots; entering the committee
    step freezes the dossiers, and the 积分 items still undecided lapse (see points.py). Members
    are told what is open, unless it is already due to close. A person closing the evaluation
    before anyone has voted is refused unless they confirm it (`allow_no_ballots`): the period
    would go on without any 民主测评 result. So is a person closing it while items are
    undecided, unless the items they confirm to lapse (`confirmed_lapse`, ids) include every
    one: an item proposed since they looked is not lost unseen. The schedule's own close (no
    actor) proceeds, as agreed when the dates were set.
    """
    if actor is not None and not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if period.step not in SCHEDULED:
        raise DomainError(None, _l("This step is not opened by the schedule."))
    source = period.step
    target, field = SCHEDULED[source]
    closing_unvoted = target == Step.COMMITTEE and actor is not None and not allow_no_ballots
    if closing_unvoted and not ballots_cast(session, period):
        raise DomainError(
            "confirm_no_ballots",
            _l("Nobody has voted yet. Confirm that the evaluation closes without ballots."),
        )
    if (
        source == LAST_POINT_STEP
        and actor is not None
        and {item.id for item in pending_items(session, period)} - set(confirmed_lapse)
    ):
        raise DomainError(
            "confirm_lapse",
            _l(
                "Bonus or deduction items are still waiting for a decision. Decide them first, "
                "or confirm that they lapse and are not counted."
            ),
        )
    values = {"reminded_step": ""}
    if getattr(period, field) > now:
        # Opened ahead of its time: the schedule keeps when the step really opened.
        values[field] = now
    if target == Step.COMMITTEE:
        values["frozen_at"] = now
    move_step(session, period, source, target, **values)
    if target == Step.EVALUATION:
        _open_evaluation(session, period)
    if source == LAST_POINT_STEP:
        # Before the freeze: lapsing waits for a decision being written now, which then counts.
        lapse_pending(session, actor, period, now)
    if target == Step.COMMITTEE:
        freeze(session, period, now, cache)
    if target in STEP_OPEN and getattr(period, SCHEDULED[target][1]) > now:
        # A step already due to close (the schedule passing through it in one sweep) is not
        # announced: its notice would ask members to act on a step that is over.
        notify(
            session,
            [m.id for m in evidence.period_members(session, period)],
            STEP_OPEN[target],
            f"/assessments/periods/{period.id}/me",
            now,
            {"year": period.year, "period": period.id},
        )
    record(
        session,
        actor,
        "assessment.step",
        "assessment_period",
        period.id,
        now=now,
        before={"step": source.value},
        after={"step": target.value},
    )
    return target
