"""A member's own corrections of the ledger: removing a 个人自学 entry recorded by mistake.

The ledger is append-only, so removing an entry appends the entry that reverses it, with the
member's reason; the year's totals drop by its hours, and both entries stay in the member's
ledger, the first marked as cancelled, so the total still explains itself.

A member corrects only a year still open to them: the current calendar year in the
organisation's timezone (the only year self-study can be recorded in; hours expire at year end),
and only until a later step has frozen evidence taken from that year, such as the assessment
dossier (民主评议). Packages that freeze such evidence register a `year_closer`, so this package
needs no knowledge of them.
"""

from collections.abc import Callable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.queries import reversals_of
from learnapp.hours.services import org_day, write_reversal
from learnapp.text import check_text

MAX_REASON_CHARS = 200

# (session, member id, year) -> why the member's year is closed to their corrections, or None.
YearCloser = Callable[[Session, int, int], str | None]
YEAR_CLOSERS: list[YearCloser] = []


def year_closer(function: YearCloser) -> YearCloser:
    """Register `function` as a year closer (used as a decorator at import time)."""
    if function not in YEAR_CLOSERS:
        YEAR_CLOSERS.append(function)
    return function


def evidence_frozen(session: Session, member_id: int, year: int) -> bool:
    """Whether a later step (a registered year closer) has frozen evidence taken from the
    member's `year`: entries of that year then no longer change at a secretary's hand."""
    return any(closer(session, member_id, year) for closer in YEAR_CLOSERS)


def closed_reason(session: Session, member_id: int, year: int, now: datetime) -> str | None:
    """Why the member can no longer correct their entries of `year`; None while it is open."""
    if year != org_day(now).year:
        return _l("Only entries of the current year can be removed.")
    for closer in YEAR_CLOSERS:
        reason = closer(session, member_id, year)
        if reason:
            return reason
    return None


def closed_to_managers(session: Session, member_id: int, year: int, now: datetime) -> str | None:
    """Why a secretary can no longer reverse the member's entries of `year`, or None while it is
    open: the same rule as for the member's own corrections (closed_reason), said to the
    secretary rather than to the member."""
    if year != org_day(now).year:
        return _l(
            "Only study hours of the current year can be reversed: %(year)s is closed.",
            year=year,
        )
    if evidence_frozen(session, member_id, year):
        return _l(
            "The member's evidence for %(year)s has been frozen for their assessment: entries "
            "of that year can no longer be reversed.",
            year=year,
        )
    return None


def _is_own_self_study(member, entry: LedgerEntry) -> bool:
    return (
        entry.member_id == member.id
        and entry.source_type == SourceType.SELF_STUDY
        and entry.category == HoursCategory.SELF_STUDY
        and entry.status == EntryStatus.CREDITED
    )


def check_removable(session: Session, member, entry: LedgerEntry, now: datetime) -> None:
    """DomainError unless the member may remove `entry`: a self-study entry they recorded,
    not removed yet, in a year still open to them."""
    if entry.member_id != member.id:
        raise DomainError(None, _l("This entry is not yours."))
    if not _is_own_self_study(member, entry):
        raise DomainError(None, _l("Only self-study you recorded yourself can be removed."))
    if reversals_of(session, [entry.id]):
        raise DomainError(None, _l("This entry has already been reversed."))
    reason = closed_reason(session, member.id, entry.year, now)
    if reason:
        raise DomainError(None, reason)


def removable_ids(session: Session, member, entries: list[LedgerEntry], now: datetime) -> set[int]:
    """Which of `entries` the member may remove now (the rule of check_removable, for a page)."""
    candidates = [entry for entry in entries if _is_own_self_study(member, entry)]
    if not candidates:
        return set()
    reversed_ids = set(reversals_of(session, [entry.id for entry in candidates]))
    open_years = {
        year
        for year in {entry.year for entry in candidates}
        if closed_reason(session, member.id, year, now) is None
    }
    return {
        entry.id
        for entry in candidates
        if entry.id not in reversed_ids and entry.year in open_years
    }


def remove_self_study(
    session: Session, member, entry: LedgerEntry, reason: str, now: datetime
) -> LedgerEntry:
    """The member removes a self-study entry they recorded by mistake, with a reason: a
    reversing entry cancels its hours (see check_removable for when). Audited."""
    check_removable(session, member, entry, now)
    reason = check_text("reason", reason)
    if not reason:
        raise DomainError("reason", _l("Give the reason for the correction."))
    reason = reason[:MAX_REASON_CHARS]
    reversal = write_reversal(session, member, entry, reason, now)
    record(
        session,
        member,
        "hours.self_study_removed",
        "hours_entry",
        entry.id,
        now=now,
        before={
            "hours": str(entry.hours),
            "day": entry.credited_on.isoformat(),
            "note": entry.note,
        },
        after={"reversal_id": reversal.id, "reason": reason},
    )
    return reversal
