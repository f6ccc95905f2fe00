"""Assessment use cases: rule versions, periods and their schedule, the steps, self-appraisal,
peer appraisal and 积分 items. Services flush and never commit; rules raise DomainError."""

import itertools
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import evidence
from learnapp.assessments.models import (
    SCHEDULED,
    AssessmentPeriod,
    AssessmentRuleSet,
    Ballot,
    Dossier,
    Step,
    VoterRoll,
)
from learnapp.assessments.rules import (
    DEFAULT_EFFECTIVE_FROM,
    DEFAULT_RULES,
    DEFAULT_SOURCE,
    DEFAULT_VERSION,
    ScoreRules,
)
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.clock import org_timezone
from learnapp.errors import DomainError
from learnapp.notifications.messages import Msg
from learnapp.notifications.preferences import register_kind
from learnapp.notifications.services import notify
from learnapp.orgs.models import BRANCH_KINDS, MemberCategory, Unit

register_kind("assessment", _l("Assessment steps and results"), mandatory=True)
register_kind("assessment_reminder", _l("Assessment reminders"))


def is_unit_above(user, unit: Unit) -> bool:
    """The user manages a unit strictly above `unit` (the 上级党组织), or is an admin."""
    if user.is_admin:
        return True
    return any(
        unit.path.startswith(managed.path) and managed.path != unit.path
        for managed in user.managed_units
    )


# ---- rule versions ----


def ensure_default_rule_set(session: Session, now: datetime) -> AssessmentRuleSet:
    existing = session.scalar(
        sa.select(AssessmentRuleSet).order_by(AssessmentRuleSet.effective_from).limit(1)
    )
    if existing is not None:
        return existing
    rule_set = AssessmentRuleSet(
        version=DEFAULT_VERSION,
        effective_from=DEFAULT_EFFECTIVE_FROM,
        source=DEFAULT_SOURCE,
        rules=DEFAULT_RULES,
        created_at=now,
    )
    session.add(rule_set)
    session.flush()
    return rule_set


def rule_set_in_force(session: Session, day: date, now: datetime) -> AssessmentRuleSet:
    found = session.scalar(
        sa.select(AssessmentRuleSet)
        .where(AssessmentRuleSet.effective_from <= day)
        .order_by(AssessmentRuleSet.effective_from.desc(), AssessmentRuleSet.id.desc())
        .limit(1)
    )
    return found or ensure_default_rule_set(session, now)


def add_rule_set(
    session: Session,
    actor: User,
    *,
    version: str,
    effective_from: date,
    source: str,
    rules: dict,
    now: datetime,
) -> AssessmentRuleSet:
    """A new version of the scoring rules; earlier versions and frozen dossiers stay as they are.
    Weights are non-negative and sum to 100; caps are non-negative."""
    version, source = (version or "").strip(), (source or "").strip()
    if not version:
        raise DomainError("version", _l("A version name is required."))
    if session.scalar(sa.select(AssessmentRuleSet.id).where(AssessmentRuleSet.version == version)):
        raise DomainError("version", _l("This version name is taken."))
    if not source:
        raise DomainError("source", _l("Name the document and article the rules come from."))
    try:
        parsed = ScoreRules.from_json(rules)
        weights = [Decimal(str(w)) for w in rules.get("weights", {}).values()]
    except (InvalidOperation, TypeError, ValueError, KeyError):
        raise DomainError(None, _l("The rules are not valid numbers.")) from None
    if any(w < 0 for w in weights) or sum(weights, Decimal(0)) != 100:
        raise DomainError("weights", _l("The weights must be zero or more and add up to 100."))
    caps = (
        parsed.bonus_item_cap,
        parsed.bonus_cap,
        parsed.deduction_item_cap,
        parsed.deduction_cap,
    )
    if any(cap < 0 or cap > 100 for cap in caps):
        raise DomainError("caps", _l("Caps must be between 0 and 100."))
    rule_set = AssessmentRuleSet(
        version=version,
        effective_from=effective_from,
        source=source,
        rules=parsed.to_json(),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(rule_set)
    session.flush()
    record(
        session,
        actor,
        "assessment.rules_add",
        "assessment_rule_set",
        rule_set.id,
        now=now,
        after={"version": version, "rules": rule_set.rules},
    )
    return rule_set


# ---- periods ----


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


STEP_MESSAGES = {
    Step.SELF_APPRAISAL: Msg.SELF_APPRAISAL_OPEN,
    Step.PEER_REVIEW: Msg.PEER_REVIEW_OPEN,
    Step.EVALUATION: Msg.EVALUATION_OPEN,
}


def advance(
    session: Session,
    actor: User | None,
    period: AssessmentPeriod,
    now: datetime,
    cache: dict | None = None,
    *,
    allow_no_ballots: bool = False,
) -> Step:
    """Open the next scheduled step now (the schedule job, or the secretary ahead of time).

    Entering the evaluation writes the voter roll and the blank ballots; entering the committee
    step freezes the dossiers. Members are told what is open. A person closing the evaluation
    before anyone has voted is refused unless they confirm it (`allow_no_ballots`): the period
    would go on without any 民主测评 result. The schedule's own close (no actor) proceeds, as
    agreed when the dates were set.
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
    values = {"reminded_step": ""}
    if getattr(period, field) > now:
        # Opened ahead of its time: the schedule keeps when the step really opened.
        values[field] = now
    if target == Step.COMMITTEE:
        values["frozen_at"] = now
    move_step(session, period, source, target, **values)
    if target == Step.EVALUATION:
        _open_evaluation(session, period)
    if target == Step.COMMITTEE:
        freeze(session, period, now, cache)
    if target in STEP_MESSAGES:
        notify(
            session,
            [m.id for m in evidence.period_members(session, period)],
            STEP_MESSAGES[target],
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
