"""A branch's assessment period (民主评议) before it has run its course: creating it with its
schedule and rule version, the schedule's checks, what the rules would give now, moving the dates
of the steps not opened yet, and deleting a period created by mistake before it opens. Services
flush and never commit."""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import evidence
from learnapp.assessments.models import (
    SCHEDULED,
    AssessmentPeriod,
    AssessmentRuleSet,
    PointItem,
    Step,
)
from learnapp.assessments.rule_sets import rule_set_in_force
from learnapp.assessments.rules import ScoreRules
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.clock import org_timezone
from learnapp.errors import DomainError
from learnapp.orgs.models import BRANCH_KINDS, Unit

SCHEDULE_FIELDS = ("self_opens_at", "peer_opens_at", "ballot_opens_at", "ballot_closes_at")
# The steps members take part in, each open from its time in SCHEDULE_FIELDS to the next one.
MEMBER_STEPS = (Step.SELF_APPRAISAL, Step.PEER_REVIEW, Step.EVALUATION)


def start_of(day: date) -> datetime:
    """Midnight of `day` in the organisation's time zone, as UTC: when a scheduled step opens."""
    return datetime.combine(day, time.min, tzinfo=org_timezone()).astimezone(UTC)


@dataclass(frozen=True)
class StepDays:
    """The days, in the organisation's time zone, a member step is open, both included."""

    step: Step
    first_day: date
    last_day: date


def member_step_days(period: AssessmentPeriod) -> dict[Step, StepDays]:
    """When each member step is (or was) open, as days to show. A step is open from its time up
    to the next step's time, which is excluded: a step that closes at midnight was last open the
    day before (voting that closes at 00:00 on 3 January ends on 2 January)."""
    times = [getattr(period, field) for field in SCHEDULE_FIELDS]
    return {
        step: StepDays(step, _day(opens), _day(closes - timedelta(microseconds=1)))
        for step, (opens, closes) in zip(MEMBER_STEPS, itertools.pairwise(times), strict=True)
    }


def _day(moment: datetime) -> date:
    return moment.astimezone(org_timezone()).date()


def check_schedule(times: list[datetime]) -> None:
    """The steps' opening times, and the close, strictly in workflow order."""
    if any(later <= earlier for earlier, later in itertools.pairwise(times)):
        raise DomainError(
            "self_opens_at",
            _l("The steps must open in order: self-appraisal, peer appraisal, evaluation, close."),
        )


def period_window(year: int) -> tuple[date, date]:
    """The days the steps of year `year`'s assessment may fall on, both included: within the
    year or the first half of the next (民主评议 is held at the end of the year or early in the
    next). A date outside is almost certainly the wrong year, as in a 2027 period with every
    date in December 2026."""
    return date(year, 1, 1), date(year + 1, 6, 30)


def check_window(year: int, times: dict[str, datetime]) -> None:
    """Every time in `times` (field name → instant) falls on a day of period_window(year), in
    the organisation's time zone; DomainError on the first field that does not."""
    first, last = period_window(year)
    tz = org_timezone()
    for field, moment in times.items():
        if not first <= moment.astimezone(tz).date() <= last:
            raise DomainError(
                field,
                _l(
                    "The assessment of %(year)s is held between %(first)s and %(last)s: "
                    "check the year and the dates.",
                    year=year,
                    first=first.isoformat(),
                    last=last.isoformat(),
                ),
            )


def default_year(session: Session, unit: Unit, today: date) -> int:
    """The year a new period of `unit` is most likely for: the current year, or the next one
    after it that has no period yet."""
    taken = set(
        session.scalars(sa.select(AssessmentPeriod.year).where(AssessmentPeriod.unit_id == unit.id))
    )
    year = today.year
    while year in taken:
        year += 1
    return year


def create_period(
    session: Session,
    actor: User,
    unit: Unit,
    *,
    year: int,
    self_opens_at: datetime,
    peer_opens_at: datetime,
    ballot_opens_at: datetime,
    ballot_closes_at: datetime,
    now: datetime,
) -> AssessmentPeriod:
    """An annual period for a branch, in draft, with the rule version in force at year end.
    The steps open in order, on days of the year's window (period_window)."""
    if not can_manage_unit(actor, unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if unit.kind not in BRANCH_KINDS:
        raise DomainError(None, _l("Assessment periods are held by branches (党支部)."))
    if not 2000 <= year <= 2100:
        raise DomainError("year", _l("Enter a year between 2000 and 2100."))
    if session.scalar(
        sa.select(AssessmentPeriod.id).where(
            AssessmentPeriod.unit_id == unit.id, AssessmentPeriod.year == year
        )
    ):
        raise DomainError("year", _l("This branch already has a period for that year."))
    times = [self_opens_at, peer_opens_at, ballot_opens_at, ballot_closes_at]
    check_window(
        year,
        {
            "self_opens_at": self_opens_at,
            "peer_opens_at": peer_opens_at,
            "ballot_opens_at": ballot_opens_at,
            "ballot_closes_at": ballot_closes_at,
        },
    )
    check_schedule(times)
    period = AssessmentPeriod(
        unit_id=unit.id,
        year=year,
        rule_set_id=rule_set_in_force(session, date(year, 12, 31), now).id,
        step=Step.DRAFT,
        self_opens_at=self_opens_at,
        peer_opens_at=peer_opens_at,
        ballot_opens_at=ballot_opens_at,
        ballot_closes_at=ballot_closes_at,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(period)
    session.flush()
    session.refresh(period)
    record(
        session,
        actor,
        "assessment.period_create",
        "assessment_period",
        period.id,
        now=now,
        after={"unit_id": unit.id, "year": year},
    )
    return period


def choose_rule_set(
    session: Session, actor: User, period: AssessmentPeriod, rule_set_id: int, now: datetime
) -> None:
    """Only before the period opens: afterwards the version is part of the evidence."""
    if period.step != Step.DRAFT:
        raise DomainError("rule_set_id", _l("The rules can only change before the period opens."))
    rule_set = session.get(AssessmentRuleSet, rule_set_id)
    if rule_set is None:
        raise DomainError("rule_set_id", _l("Choose a rule version."))
    before = period.rule_set_id
    period.rule_set_id = rule_set.id
    period.rule_set = rule_set
    session.flush()
    record(
        session,
        actor,
        "assessment.period_rules",
        "assessment_period",
        period.id,
        now=now,
        before={"rule_set_id": before},
        after={"rule_set_id": rule_set.id},
    )


def preview(
    session: Session,
    period: AssessmentPeriod,
    now: datetime,
    rule_set: AssessmentRuleSet | None = None,
) -> dict[int, dict]:
    """What the period's rules (or another version's) would give for the branch now; nothing
    is stored."""
    rules = (rule_set or period.rule_set).rules
    return evidence.compute(session, period, ScoreRules.from_json(rules), now)


def opened_fields(period: AssessmentPeriod) -> set[str]:
    """The schedule's times already used: those of the steps the period has entered."""
    return {
        field
        for step, (_target, field) in SCHEDULED.items()
        if period.step.position > step.position
    }


def reschedule(
    session: Session,
    actor: User,
    period: AssessmentPeriod,
    times: dict[str, datetime],
    now: datetime,
) -> None:
    """Move the times of the steps not opened yet; those already opened stay as they happened.
    The steps keep their order, a moved date stays in the year's window (period_window), and a
    moved close of the current step sends its reminder again."""
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if period.step not in SCHEDULED:
        raise DomainError(None, _l("The schedule is over: the evaluation has closed."))
    before = {field: getattr(period, field) for field in SCHEDULE_FIELDS}
    for field in opened_fields(period):
        if times[field] != before[field]:
            raise DomainError(field, _l("This step has opened: its date cannot change."))
    check_schedule([times[field] for field in SCHEDULE_FIELDS])
    _next, current_close = SCHEDULED[period.step]
    changed = {field for field in SCHEDULE_FIELDS if times[field] != before[field]}
    # Only moved dates are checked: a step opened ahead of time keeps when it really opened.
    check_window(
        period.year, {field: times[field] for field in SCHEDULE_FIELDS if field in changed}
    )
    if not changed:
        return
    for field in changed:
        setattr(period, field, times[field])
    if current_close in changed:
        period.reminded_step = ""
    session.flush()
    record(
        session,
        actor,
        "assessment.period_schedule",
        "assessment_period",
        period.id,
        now=now,
        before={field: before[field].isoformat() for field in sorted(changed)},
        after={field: times[field].isoformat() for field in sorted(changed)},
    )


def delete_draft(session: Session, actor: User, period: AssessmentPeriod, now: datetime) -> None:
    """A period created by mistake goes away before it opens, with any 积分 items proposed on
    it; once open, it is part of the record and stays."""
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if period.step != Step.DRAFT:
        raise DomainError(None, _l("Only a period that has not opened can be deleted."))
    items = session.execute(
        sa.delete(PointItem)
        .where(PointItem.period_id == period.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        session,
        actor,
        "assessment.period_delete",
        "assessment_period",
        period.id,
        now=now,
        before={"unit_id": period.unit_id, "year": period.year, "point_items": items},
    )
    session.delete(period)
    session.flush()
