"""External study claims (外部导入): a member asks, a secretary decides, approval credits.

Also 送学上门: a secretary records study on behalf of an elderly (exempt) or retired member.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit, org_day
from learnapp.notifications.messages import declare, verbatim
from learnapp.notifications.services import notify
from learnapp.orglife import files
from learnapp.orglife.ledger import Change, check_years_open, earliest_meeting_day
from learnapp.orglife.models import ClaimState, StudyClaim
from learnapp.text import check_text

# Claimed hours are quarter hours (15 minutes), as lessons and self-study are credited.
HOURS_STEP = Decimal("0.25")
MAX_CLAIM_HOURS = Decimal("100")  # external training may run for days
# 送学上门 is one visit: at most a full day of organised study (DOMAIN.md, Conversion).
MAX_ON_BEHALF_HOURS = Decimal("8")
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
CLAIM_CATEGORIES = (HoursCategory.EXTERNAL, HoursCategory.CENTRALISED, HoursCategory.COLLECTIVE)


def hours_message(most: Decimal):
    """What to enter as study hours of a claim (or a record on behalf) worth at most `most`."""
    return _l(
        "Enter the study hours in quarter hours, from 0.25 to %(most)s (for example 0.75 or 1.5).",
        most=most,
    )


def is_quarter_hours(value: Decimal, most: Decimal) -> bool:
    """A multiple of 0.25 from 0.25 to `most`."""
    return HOURS_STEP <= value <= most and not value % HOURS_STEP


def _check_hours(hours, most: Decimal) -> Decimal:
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise DomainError("hours", _l("Not a number of study hours.")) from None
    if not value.is_finite() or not is_quarter_hours(value, most):
        raise DomainError("hours", hours_message(most))
    return value


def _check_day(day: date, now: datetime) -> None:
    today = org_day(now)
    if day > today:
        raise DomainError("studied_on", _l("The date cannot be in the future."))
    if day.year != today.year:
        raise DomainError("studied_on", _l("Only study in the current year can be claimed."))


def _check_evidence(filename: str, data: bytes) -> tuple[str, str]:
    if data and len(data) > MAX_EVIDENCE_BYTES:
        raise DomainError("evidence", _l("The evidence file is larger than 5 MB."))
    content_type = files.check_file(data, "evidence")
    return content_type, files.clean_display_name(filename, content_type)


def submit_claim(
    session: Session,
    member,
    *,
    category: HoursCategory,
    hours,
    studied_on: date,
    description: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> StudyClaim:
    """A member claims study done elsewhere: quarter hours from 0.25 to 100 学时, on a day of
    the current year up to today, with evidence (PDF, JPEG or PNG by content, at most 5 MB)."""
    if member.unit_id is None:
        raise DomainError(None, _l("You do not belong to a unit yet."))
    if category not in CLAIM_CATEGORIES:
        raise DomainError("category", _l("Choose a category."))
    value = _check_hours(hours, MAX_CLAIM_HOURS)
    _check_day(studied_on, now)
    description = check_text("description", description)
    if not description:
        raise DomainError("description", _l("Say what you studied and where."))
    content_type, display_name = _check_evidence(filename, data)
    claim = StudyClaim(
        member_id=member.id,
        unit_id=member.unit_id,
        category=category,
        hours=value,
        studied_on=studied_on,
        description=description[:2000],
        evidence_name=files.store(data),
        evidence_display_name=display_name,
        evidence_content_type=content_type,
        state=ClaimState.PENDING,
        recorded_by_id=member.id,
        created_at=now,
    )
    session.add(claim)
    session.flush()
    return claim


CLAIM_DECIDED = "claim_decided"
CLAIM_APPROVED = declare(
    "claim_approved",
    CLAIM_DECIDED,
    _l("Your claim of %(hours)s study hours was approved"),
    ("hours", "claim", "reason"),
    verbatim("reason"),
)
CLAIM_REJECTED = declare(
    "claim_rejected",
    CLAIM_DECIDED,
    _l("Your claim of %(hours)s study hours was not approved"),
    ("hours", "claim", "reason"),
    verbatim("reason"),
)


def _tell_member(session: Session, claim: StudyClaim, now: datetime) -> None:
    """Notify the member of the decision, with the secretary's reason, linking to the claim."""
    link = current_app.url_map.bind("localhost").build(
        "orglife.claim_detail", {"claim_id": claim.id}
    )
    message = CLAIM_APPROVED if claim.state == ClaimState.APPROVED else CLAIM_REJECTED
    params = {
        "hours": f"{claim.hours:.2f}",  # as the ledger shows hours, whatever the column gave back
        "claim": claim.id,
        "reason": claim.decision_reason or "",
    }
    notify(session, [claim.member_id], message, link, now, params)


def _check_pending(claim: StudyClaim) -> None:
    if claim.state == ClaimState.WITHDRAWN:
        raise DomainError(None, _l("This claim has been withdrawn."))
    if claim.state != ClaimState.PENDING:
        raise DomainError(None, _l("This claim has already been decided."))


def _close(
    session: Session, claim: StudyClaim, state: ClaimState, actor, now: datetime, reason=""
) -> None:
    """Move a pending claim to `state`, once: a conditional UPDATE, so that of a withdrawal
    and a decision racing each other exactly one happens and the other is refused. The claim
    keeps the unit it was decided in: its member's unit now (StudyClaim.deciding_unit)."""
    closed = session.execute(
        sa.update(StudyClaim)
        .where(StudyClaim.id == claim.id, StudyClaim.state == ClaimState.PENDING)
        .values(
            state=state,
            unit_id=claim.member.unit_id or claim.unit_id,
            decided_by_id=actor.id,
            decided_at=now,
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(claim)
    if closed != 1:
        _check_pending(claim)


def _check_decider(actor, claim: StudyClaim) -> None:
    if claim.member_id == actor.id:
        raise DomainError(None, _l("You cannot decide on your own claim."))
    unit = claim.deciding_unit
    if unit is None or not can_manage_unit(actor, unit):
        raise DomainError(None, _l("This claim is outside your organisation."))
    _check_pending(claim)


def check_year_open(session: Session, claim: StudyClaim, now: datetime) -> None:
    """DomainError unless approving `claim` may credit the year of its study day, by the rule
    for meetings (ledger.check_years_open): hours go to this year or last year (December's
    claim approved in January), and not to a past year whose evidence is frozen for the
    member's assessment; the current year goes on earning after its assessment."""
    year = claim.studied_on.year
    if year < earliest_meeting_day(org_day(now)).year:
        raise DomainError(
            None,
            _l(
                "This claim is of study in %(year)s: only study of this year and last year can "
                "be approved. Reject it with the reason instead.",
                year=year,
            ),
        )
    check_years_open(session, [Change(claim.member, year, claim.hours)], now, None)


def approval_refusal(session: Session, claim: StudyClaim, now: datetime) -> str | None:
    """Why approving `claim` is refused for its year (check_year_open), for the claim's page;
    None when its year is open."""
    try:
        check_year_open(session, claim, now)
    except DomainError as error:
        return error.message
    return None


def approve_claim(session: Session, actor, claim: StudyClaim, now: datetime) -> StudyClaim:
    """Approve a pending claim of a member now in the actor's subtree (never the actor's own) and
    credit its hours, in the claimed category, on the day of the study, in a year still open to
    it (check_year_open). A claim the member withdrew meanwhile is refused and credits nothing.
    Audited."""
    _check_decider(actor, claim)
    check_year_open(session, claim, now)
    _close(session, claim, ClaimState.APPROVED, actor, now)
    entry = credit(
        session,
        claim.member,
        claim.category,
        SourceType.CLAIM,
        claim.id,
        claim.hours,
        0,
        now,
        day=claim.studied_on,
        approver=actor,
        note=claim.description[:500],
    )
    claim.ledger_entry_id = entry.id
    session.flush()
    record(
        session,
        actor,
        "orglife.claim_approved",
        "study_claim",
        claim.id,
        now=now,
        after={"hours": str(claim.hours), "entry_id": entry.id},
    )
    _tell_member(session, claim, now)
    return claim


def reject_claim(
    session: Session, actor, claim: StudyClaim, reason: str, now: datetime
) -> StudyClaim:
    """Reject a pending claim with a reason the member sees. Same deciders as approval."""
    _check_decider(actor, claim)
    reason = check_text("reason", reason)
    if not reason:
        raise DomainError("reason", _l("Give the reason for the rejection."))
    _close(session, claim, ClaimState.REJECTED, actor, now, reason[:1000])
    record(
        session,
        actor,
        "orglife.claim_rejected",
        "study_claim",
        claim.id,
        now=now,
        after={"reason": claim.decision_reason},
    )
    _tell_member(session, claim, now)
    return claim


def can_withdraw(user, claim: StudyClaim) -> bool:
    """Only the member who made a claim withdraws it, and only while it waits for a decision."""
    return claim.member_id == user.id and claim.state == ClaimState.PENDING


def withdraw_claim(session: Session, member, claim: StudyClaim, now: datetime) -> StudyClaim:
    """The member withdraws their own pending claim: it leaves the secretaries' queue, stays in
    the member's list as withdrawn and never credits hours. Against a decision made at the
    same moment, exactly one of the two happens. Audited."""
    if claim.member_id != member.id:
        raise DomainError(None, _l("Only the member who made a claim can withdraw it."))
    _check_pending(claim)
    _close(session, claim, ClaimState.WITHDRAWN, member, now)
    record(
        session,
        member,
        "orglife.claim_withdrawn",
        "study_claim",
        claim.id,
        now=now,
        before={"state": ClaimState.PENDING.value},
        after={"state": ClaimState.WITHDRAWN.value, "hours": str(claim.hours)},
    )
    return claim


def record_on_behalf(
    session: Session,
    actor,
    member,
    *,
    category: HoursCategory,
    hours,
    studied_on: date,
    description: str,
    now: datetime,
) -> StudyClaim:
    """送学上门: a secretary records study for an elderly (exempt) or retired member of their
    subtree, approved at once and marked as recorded on the member's behalf. Not for oneself.
    One record is one visit: quarter hours from 0.25 to 8 学时 (a full day). A record made in
    error is reversed (corrections.reverse_claim), never edited."""
    if member.id == actor.id:
        raise DomainError(None, _l("You cannot record study on your own behalf."))
    if member.unit is None or not can_manage_unit(actor, member.unit):
        raise DomainError(None, _l("This member is outside your organisation."))
    if not (member.is_elderly_exempt or member.is_retired):
        raise DomainError(
            None, _l("Study is recorded on a member's behalf only for elderly or retired members.")
        )
    if category not in CLAIM_CATEGORIES:
        raise DomainError("category", _l("Choose a category."))
    value = _check_hours(hours, MAX_ON_BEHALF_HOURS)
    _check_day(studied_on, now)
    description = check_text("description", description)
    if not description:
        raise DomainError("description", _l("Say what was studied."))
    claim = StudyClaim(
        member_id=member.id,
        unit_id=member.unit_id,
        category=category,
        hours=value,
        studied_on=studied_on,
        description=description[:2000],
        state=ClaimState.APPROVED,
        is_on_behalf=True,
        recorded_by_id=actor.id,
        decided_by_id=actor.id,
        decided_at=now,
        created_at=now,
    )
    claim.member = member
    session.add(claim)
    session.flush()
    entry = credit(
        session,
        member,
        category,
        SourceType.CLAIM,
        claim.id,
        value,
        0,
        now,
        day=studied_on,
        approver=actor,
        # The ledger lists it as recorded on behalf from the claim's flag, in the reader's
        # language (hours.labels.entry_text): the note holds the description alone.
        note=description[:500],
    )
    claim.ledger_entry_id = entry.id
    session.flush()
    record(
        session,
        actor,
        "orglife.study_recorded_on_behalf",
        "study_claim",
        claim.id,
        now=now,
        after={"member_id": member.id, "hours": str(value), "entry_id": entry.id},
    )
    return claim
