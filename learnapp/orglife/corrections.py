"""Correcting what a secretary credited: an approved claim, or study recorded on a member's behalf
(送学上门), entered in error is reversed, never edited.

The ledger is append-only (DOMAIN.md, The ledger): the reversal appends the entry that cancels
the credit, with the secretary's reason, and the claim moves to REVERSED. Who may reverse is who
may approve the claim; when is the rule of the member's own corrections (hours.corrections): only
in the current year, and only while the credit is not part of evidence frozen from it (hours
approved after the freeze are not).
"""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.hours.corrections import MAX_REASON_CHARS, closed_to_managers
from learnapp.hours.models import LedgerEntry
from learnapp.hours.services import write_reversal
from learnapp.notifications.messages import declare, verbatim
from learnapp.notifications.services import notify
from learnapp.orglife.claims import CLAIM_DECIDED
from learnapp.orglife.models import ClaimState, StudyClaim
from learnapp.text import check_text

CLAIM_REVERSED = declare(
    "claim_reversed",
    CLAIM_DECIDED,
    _l("%(hours)s study hours of %(day)s were cancelled by your branch"),
    ("hours", "day", "claim", "reason"),
    verbatim("reason"),
)


def check_reversible(session: Session, actor, claim: StudyClaim, now: datetime) -> None:
    """DomainError unless `actor` may reverse `claim` now: an approved claim or a record on
    behalf, of a member in a unit the actor manages (never the actor's own), credited in the
    current year and not part of the member's evidence frozen from it
    (hours.corrections.closed_to_managers)."""
    if claim.member_id == actor.id:
        raise DomainError(None, _l("You cannot reverse your own study hours."))
    if not can_manage_unit(actor, claim.unit):
        raise DomainError(None, _l("This claim is outside your organisation."))
    if claim.state == ClaimState.REVERSED:
        raise DomainError(None, _l("These study hours have already been reversed."))
    if claim.state != ClaimState.APPROVED or claim.ledger_entry_id is None:
        raise DomainError(
            None, _l("Only approved claims and study recorded on behalf can be reversed.")
        )
    reason = closed_to_managers(session, session.get(LedgerEntry, claim.ledger_entry_id), now)
    if reason:
        raise DomainError(None, reason)


def can_reverse(session: Session, actor, claim: StudyClaim, now: datetime) -> bool:
    """Whether the claim's page offers `actor` the reversal (the rule of check_reversible)."""
    try:
        check_reversible(session, actor, claim, now)
    except DomainError:
        return False
    return True


def reverse_claim(
    session: Session, actor, claim: StudyClaim, reason: str, now: datetime
) -> LedgerEntry:
    """A secretary reverses an approved claim or study recorded on behalf, with a reason the
    member sees: a reversing ledger entry cancels its hours and the claim becomes REVERSED (see
    check_reversible for who and when). Of two reversals at once exactly one happens. Audited;
    the member is notified."""
    check_reversible(session, actor, claim, now)
    reason = check_text("reason", reason)
    if not reason:
        raise DomainError("reason", _l("Give the reason for the correction."))
    reason = reason[:MAX_REASON_CHARS]
    moved = session.execute(
        sa.update(StudyClaim)
        .where(StudyClaim.id == claim.id, StudyClaim.state == ClaimState.APPROVED)
        .values(state=ClaimState.REVERSED)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(claim)
    if moved != 1:
        raise DomainError(None, _l("These study hours have already been reversed."))
    entry = session.get(LedgerEntry, claim.ledger_entry_id)
    reversal = write_reversal(session, actor, entry, reason, now)
    record(
        session,
        actor,
        "orglife.claim_reversed",
        "study_claim",
        claim.id,
        now=now,
        before={"state": ClaimState.APPROVED.value, "hours": str(entry.hours)},
        after={
            "state": ClaimState.REVERSED.value,
            "reversal_id": reversal.id,
            "reason": reason,
            "on_behalf": claim.is_on_behalf,
        },
    )
    link = current_app.url_map.bind("localhost").build(
        "orglife.claim_detail", {"claim_id": claim.id}
    )
    params = {
        "hours": f"{entry.hours:.2f}",
        "day": claim.studied_on.isoformat(),
        "claim": claim.id,
        "reason": reason,
    }
    notify(session, [claim.member_id], CLAIM_REVERSED, link, now, params)
    return reversal
