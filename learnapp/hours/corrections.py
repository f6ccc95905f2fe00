"""A member's own corrections of the ledger: removing a 个人自学 entry recorded by mistake.

The ledger is append-only, so removing an entry appends the entry that reverses it, with the
member's reason; the year's totals drop by its hours, and both entries stay in the member's
ledger, the first marked as cancelled, so the total still explains itself.

A member corrects only a year still open to them: the current calendar year in the
organisation's timezone (the only year self-study can be recorded in; hours expire at year end).
Once a later step has frozen evidence taken from that year, such as the assessment dossier
(民主评议), the entries that evidence holds (those recorded up to the freeze) no longer change;
entries recorded after it are not part of it and are corrected as before. Packages that freeze
such evidence register a `year_closer`, so this package needs no knowledge of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Freeze:
    """Evidence taken from a member's year, frozen at `at`: it holds the entries recorded up to
    then. `reason` tells the member why those entries can no longer be removed."""

    at: datetime
    reason: str

    def holds(self, recorded_at: datetime) -> bool:
        """Whether hours recorded at `recorded_at` were recorded by the time of the freeze, and
        so are part of it."""
        return recorded_at <= self.at


# (session, member id, year) -> the latest freeze of evidence taken from the member's year, or
# None while nothing of it is frozen.
YearCloser = Callable[[Session, int, int], Freeze | None]
YEAR_CLOSERS: list[YearCloser] = []


def year_closer(function: YearCloser) -> YearCloser:
    """Register `function` as a year closer (used as a decorator at import time)."""
    if function not in YEAR_CLOSERS:
        YEAR_CLOSERS.append(function)
    return function


def latest_freeze(session: Session, member_id: int, year: int) -> Freeze | None:
    """The latest freeze of evidence taken from the member's `year` (by the registered year
    closers), or None. It holds every entry an earlier freeze holds, and more."""
    freezes = [freeze for closer in YEAR_CLOSERS if (freeze := closer(session, member_id, year))]
    return max(freezes, key=lambda freeze: freeze.at, default=None)


def evidence_frozen(session: Session, entry: LedgerEntry) -> bool:
    """Whether `entry` is part of evidence frozen from its member's year (latest_freeze): it
    then no longer changes at a secretary's hand. An entry recorded after every freeze is not
    part of the evidence, and correcting it contradicts nothing the committee saw."""
    freeze = latest_freeze(session, entry.member_id, entry.year)
    return freeze is not None and freeze.holds(entry.created_at)


def _closed_to_member(entry: LedgerEntry, now: datetime, freeze: Freeze | None) -> str | None:
    if entry.year != org_day(now).year:
        return _l("Only entries of the current year can be removed.")
    if freeze is not None and freeze.holds(entry.created_at):
        return freeze.reason
    return None


def closed_reason(session: Session, entry: LedgerEntry, now: datetime) -> str | None:
    """Why the member can no longer correct `entry`: it is not of the current year, or it is
    part of evidence frozen from that year (latest_freeze). None while it is open."""
    current = entry.year == org_day(now).year
    freeze = latest_freeze(session, entry.member_id, entry.year) if current else None
    return _closed_to_member(entry, now, freeze)


def closed_to_managers(session: Session, entry: LedgerEntry, now: datetime) -> str | None:
    """Why a secretary can no longer reverse `entry`, or None while it is open. Hours of this
    year and of last year can be reversed, as meetings of both can be changed (a December claim
    approved by mistake in January is taken back in January), unless a frozen dossier holds
    the entry (evidence_frozen); a member corrects only the current year (closed_reason)."""
    if entry.year < org_day(now).year - 1:
        return _l(
            "Only study hours of this year and last year can be reversed: %(year)s is closed.",
            year=entry.year,
        )
    if evidence_frozen(session, entry):
        return _l(
            "These study hours are part of the member's evidence for %(year)s, frozen for "
            "their assessment: they can no longer be reversed.",
            year=entry.year,
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
    not removed yet, still open to them (closed_reason)."""
    if entry.member_id != member.id:
        raise DomainError(None, _l("This entry is not yours."))
    if not _is_own_self_study(member, entry):
        raise DomainError(None, _l("Only self-study you recorded yourself can be removed."))
    if reversals_of(session, [entry.id]):
        raise DomainError(None, _l("This entry has already been reversed."))
    reason = closed_reason(session, entry, now)
    if reason:
        raise DomainError(None, reason)


def removable_ids(session: Session, member, entries: list[LedgerEntry], now: datetime) -> set[int]:
    """Which of `entries` the member may remove now (the rule of check_removable, for a page)."""
    candidates = [entry for entry in entries if _is_own_self_study(member, entry)]
    if not candidates:
        return set()
    reversed_ids = set(reversals_of(session, [entry.id for entry in candidates]))
    # Only entries of the current year may be open, so only its freeze matters.
    current = org_day(now).year
    in_current = any(entry.year == current for entry in candidates)
    freeze = latest_freeze(session, member.id, current) if in_current else None
    return {
        entry.id
        for entry in candidates
        if entry.id not in reversed_ids and _closed_to_member(entry, now, freeze) is None
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
