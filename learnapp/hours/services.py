"""Use cases of the 学时 ledger: credit, reverse, self-study, and new rule-set versions."""

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.clock import org_timezone
from learnapp.errors import DomainError
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, RuleSet, SourceType
from learnapp.hours.queries import (
    ZERO,
    entry_for_source,
    online_hours_on,
    rule_set_for,
    self_study_hours_on,
)
from learnapp.hours.rules import DEFAULT_EFFECTIVE_FROM, DEFAULT_RULES, DEFAULT_SOURCE, Rules
from learnapp.hours.rules import DEFAULT_VERSION as DEFAULT_RULE_VERSION
from learnapp.text import check_text

MAX_ENTRY_HOURS = Decimal("100")
# 个人自学 is recorded in quarter hours (15 minutes), one record at most a working day.
SELF_STUDY_STEP = Decimal("0.25")
SELF_STUDY_MAX_HOURS = Decimal("8")


def _insert(session: Session, model):
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def org_day(moment: datetime) -> date:
    """The calendar day of an instant in the organisation's timezone."""
    return moment.astimezone(org_timezone()).date()


def ensure_default_rule_set(session: Session, now: datetime) -> RuleSet:
    """The rule set in force today, creating the 2019 default on first use of an empty table.

    Two first uses at once both try the insert; the unique version makes the second a no-op.
    """
    day = org_day(now)
    found = rule_set_for(session, day)
    if found is not None:
        return found
    session.execute(
        _insert(session, RuleSet)
        .values(
            version=DEFAULT_RULE_VERSION,
            effective_from=DEFAULT_EFFECTIVE_FROM,
            source=DEFAULT_SOURCE,
            rules=DEFAULT_RULES,
            created_by_id=None,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    return rule_set_for(session, day)


def _check_hours(hours) -> Decimal:
    try:
        value = Decimal(hours)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError("hours", _l("Not a number of study hours.")) from None
    if not value.is_finite() or value <= 0 or value > MAX_ENTRY_HOURS:
        raise DomainError("hours", _l("Study hours must be more than 0."))
    return value.quantize(ZERO)


SELF_STUDY_HOURS_MESSAGE = _l(
    "Enter the hours in quarter hours, from 0.25 to 8 (for example 0.75 or 1.5)."
)


def _lock_member(session: Session, member_id: int) -> None:
    # Credits of one member are serialised, so two completions at once cannot both fit under
    # the same remainder of the daily cap. SQLite's BEGIN IMMEDIATE already serialises writers
    # (SQLAlchemy drops FOR UPDATE there); PostgreSQL needs the row lock.
    session.execute(sa.select(User.id).where(User.id == member_id).with_for_update())


def credit(
    session: Session,
    member,
    category: HoursCategory,
    source_type: SourceType,
    source_id,
    hours,
    verified_seconds: int,
    now: datetime,
    *,
    day: date | None = None,
    approver=None,
    note: str = "",
) -> LedgerEntry:
    """Credit `member` for one source, once: a second call for the same (member, source,
    category) returns the first entry and adds nothing, also when both run at the same time.

    `hours` is the most the source is worth (a lesson's nominal 学时); never more is credited.
    The rule set in force on the study day applies; `day` defaults to today and, like the year,
    is taken in the organisation's timezone. Online study is limited by the daily cap: only the
    remainder under the cap is credited, which may be nothing (the entry then says so).
    """
    nominal = _check_hours(hours)
    if not isinstance(verified_seconds, int) or verified_seconds < 0:
        raise DomainError(None, _l("Verified time must be a whole number of seconds."))
    source_id = str(source_id)
    _lock_member(session, member.id)
    existing = entry_for_source(session, member.id, source_type, source_id, category)
    if existing is not None:
        return existing
    day = day or org_day(now)
    ensure_default_rule_set(session, now)
    rule_set = rule_set_for(session, day)
    rules = Rules.from_json(rule_set.rules)
    granted = nominal
    if category == HoursCategory.ONLINE:
        room = max(rules.daily_online_cap_hours - online_hours_on(session, member.id, day), ZERO)
        granted = min(nominal, room)
    entry_id = session.scalar(
        _insert(session, LedgerEntry)
        .values(
            member_id=member.id,
            category=category,
            source_type=source_type,
            source_id=source_id,
            verified_seconds=verified_seconds,
            hours=granted,
            nominal_hours=nominal,
            rule_set_id=rule_set.id,
            credited_on=day,
            year=day.year,
            status=EntryStatus.CREDITED,
            reverses_id=None,
            approver_id=getattr(approver, "id", None),
            created_at=now,
            note=note[:2000],
        )
        .on_conflict_do_nothing(
            index_elements=["member_id", "source_type", "source_id", "category"]
        )
        .returning(LedgerEntry.id)
    )
    if entry_id is None:
        return entry_for_source(session, member.id, source_type, source_id, category)
    return session.get(LedgerEntry, entry_id)


def reverse_entry(
    session: Session, actor, entry: LedgerEntry, reason: str, now: datetime
) -> LedgerEntry:
    """Cancel an entry with a reversing one (opposite hours, same day and rule set).

    Entries are never edited. Only a credit can be reversed, and only once; the actor must
    manage the member's unit; a reason is required. Audited.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", _l("Give the reason for the correction."))
    member = session.get(User, entry.member_id)
    if actor is not None and not (
        actor.is_admin or (member.unit is not None and can_manage_unit(actor, member.unit))
    ):
        raise DomainError(None, _l("This member is outside your organisation."))
    return reverse_checked(session, actor, entry, reason, now)


def reverse_checked(
    session: Session, actor, entry: LedgerEntry, reason: str, now: datetime
) -> LedgerEntry:
    """Reverse `entry` (write_reversal) once the caller has checked who may, and audit it as
    "hours.entry_reversed"."""
    reversal = write_reversal(session, actor, entry, reason, now)
    record(
        session,
        actor,
        "hours.entry_reversed",
        "hours_entry",
        entry.id,
        now=now,
        before={"hours": str(entry.hours)},
        after={"reversal_id": reversal.id, "reason": reason},
    )
    return reversal


def write_reversal(
    session: Session, actor, entry: LedgerEntry, reason: str, now: datetime
) -> LedgerEntry:
    """Append the entry that cancels `entry`: opposite hours, same day and rule set, `reason`
    as its note and the actor as its approver. Only a credit, and only once (also when two
    try at the same time). Who may do it is the caller's rule."""
    if entry.status != EntryStatus.CREDITED:
        raise DomainError(None, _l("A correction cannot itself be reversed."))
    _lock_member(session, entry.member_id)
    reversal_id = session.scalar(
        _insert(session, LedgerEntry)
        .values(
            member_id=entry.member_id,
            category=entry.category,
            source_type=SourceType.REVERSAL,
            source_id=str(entry.id),
            verified_seconds=0,
            hours=-entry.hours,
            nominal_hours=entry.nominal_hours,
            rule_set_id=entry.rule_set_id,
            credited_on=entry.credited_on,
            year=entry.year,
            status=EntryStatus.REVERSAL,
            reverses_id=entry.id,
            approver_id=getattr(actor, "id", None),
            created_at=now,
            note=reason[:2000],
        )
        .on_conflict_do_nothing(
            index_elements=["member_id", "source_type", "source_id", "category"]
        )
        .returning(LedgerEntry.id)
    )
    if reversal_id is None:
        raise DomainError(None, _l("This entry has already been reversed."))
    return session.get(LedgerEntry, reversal_id)


def record_self_study(
    session: Session, member, *, day: date, hours, note: str, now: datetime
) -> LedgerEntry:
    """Record 个人自学 the member did on `day` (tracked; whether it counts is the rule set's).

    The day may not be in the future nor outside the current year (org timezone); the hours are
    a multiple of 0.25 from 0.25 to 8, and at most the daily self-study cap (8 学时) per day,
    across that day's records.
    """
    value = _check_hours(hours)
    if not SELF_STUDY_STEP <= value <= SELF_STUDY_MAX_HOURS or value % SELF_STUDY_STEP:
        raise DomainError("hours", SELF_STUDY_HOURS_MESSAGE)
    today = org_day(now)
    if day > today:
        raise DomainError("day", _l("The date cannot be in the future."))
    if day.year != today.year:
        raise DomainError("day", _l("Only study in the current year can be recorded."))
    note = check_text("note", note)
    if not note:
        raise DomainError("note", _l("Say what you studied."))
    _lock_member(session, member.id)
    rules = Rules.from_json(ensure_default_rule_set(session, now).rules)
    cap = rules.daily_self_study_cap_hours
    if self_study_hours_on(session, member.id, day) + value > cap:
        raise DomainError(
            "hours", _l("At most %(cap)s hours of self-study can be recorded per day.", cap=cap)
        )
    return credit(
        session,
        member,
        HoursCategory.SELF_STUDY,
        SourceType.SELF_STUDY,
        secrets.token_hex(16),
        value,
        0,
        now,
        day=day,
        note=note[:500],
    )


def add_rule_set(
    session: Session,
    actor,
    *,
    version: str,
    effective_from: date,
    source: str,
    rules: Rules,
    now: datetime,
) -> RuleSet:
    """Add a rule-set version in force from `effective_from` (today or later: past entries keep
    the version they were credited with, and the past is not re-ruled). Until that day it changes
    nothing: entries are credited, and count toward the target, by the version in force on their
    day, and the current year's target is today's (hours.queries.target_day). Admins only;
    audited."""
    if actor is None or not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can change the rules."))
    version = (version or "").strip()
    source = (source or "").strip()
    if not version:
        raise DomainError("version", _l("A version name is required."))
    if not source:
        raise DomainError("source", _l("Cite the document the rules come from."))
    if effective_from < org_day(now):
        raise DomainError("effective_from", _l("A new version cannot start in the past."))
    if session.scalar(sa.select(RuleSet.id).where(RuleSet.version == version)):
        raise DomainError("version", _l("This version name is already used."))
    if session.scalar(sa.select(RuleSet.id).where(RuleSet.effective_from == effective_from)):
        raise DomainError("effective_from", _l("Another version starts on this date."))
    for value in (
        rules.annual_target_hours,
        rules.leader_target_hours,
        rules.daily_online_cap_hours,
        rules.daily_self_study_cap_hours,
    ):
        if not value.is_finite() or value <= 0 or value > 1000:
            raise DomainError(None, _l("Every quantity of study hours must be positive."))
    ensure_default_rule_set(session, now)
    rule_set = RuleSet(
        version=version[:32],
        effective_from=effective_from,
        source=source[:4000],
        rules=rules.to_json(),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(rule_set)
    session.flush()
    record(
        session,
        actor,
        "hours.rule_set_added",
        "hours_rule_set",
        rule_set.id,
        now=now,
        after={
            "version": rule_set.version,
            "effective_from": effective_from.isoformat(),
            "rules": rule_set.rules,
        },
    )
    return rule_set


def delete_rule_set(session: Session, actor, rule_set: RuleSet, now: datetime) -> None:
    """Remove a version that is not yet in force (scheduled by mistake, or replaced before its
    first day) and that no entry has been credited with. A version in force or past stays: the
    entries credited with it and the targets taken from it rest on it. Admins only; audited."""
    if actor is None or not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can change the rules."))
    if rule_set.effective_from <= org_day(now):
        raise DomainError(
            None,
            _l(
                "Version %(version)s has been in force since %(date)s and cannot be removed: "
                "add a new version instead.",
                version=rule_set.version,
                date=rule_set.effective_from.isoformat(),
            ),
        )
    credited = session.scalar(
        sa.select(LedgerEntry.id).where(LedgerEntry.rule_set_id == rule_set.id).limit(1)
    )
    if credited is not None:
        raise DomainError(
            None,
            _l(
                "Study hours have been credited with version %(version)s: it cannot be removed.",
                version=rule_set.version,
            ),
        )
    before = {
        "version": rule_set.version,
        "effective_from": rule_set.effective_from.isoformat(),
        "rules": rule_set.rules,
    }
    rule_set_id = rule_set.id
    session.delete(rule_set)
    session.flush()
    record(
        session,
        actor,
        "hours.rule_set_deleted",
        "hours_rule_set",
        rule_set_id,
        now=now,
        before=before,
    )
