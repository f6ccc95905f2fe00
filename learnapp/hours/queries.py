"""Read API of the 学时 ledger for every other package. Totals are sums over the ledger."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from learnapp.clock import org_timezone
from learnapp.hours.models import HoursCategory, LedgerEntry, RuleSet
from learnapp.hours.rules import Rules
from learnapp.orgs.models import Role

ZERO = Decimal("0.00")


def rule_set_for(session: Session, day: date) -> RuleSet | None:
    """The rule set in force on `day`; before the first one, the first one."""
    in_force = session.scalar(
        sa.select(RuleSet)
        .where(RuleSet.effective_from <= day)
        .order_by(RuleSet.effective_from.desc())
        .limit(1)
    )
    if in_force is not None:
        return in_force
    return session.scalar(sa.select(RuleSet).order_by(RuleSet.effective_from).limit(1))


def rules_for(session: Session, day: date) -> Rules:
    rule_set = rule_set_for(session, day)
    return Rules.from_json(rule_set.rules if rule_set else {})


def rule_sets(session: Session) -> list[RuleSet]:
    return list(session.scalars(sa.select(RuleSet).order_by(RuleSet.effective_from.desc())))


def year_totals(session: Session, member_id: int, year: int) -> dict[HoursCategory, Decimal]:
    """Net 学时 per category in the year (reversals subtract); every category is present."""
    totals = dict.fromkeys(HoursCategory, ZERO)
    rows = session.execute(
        sa.select(LedgerEntry.category, sa.func.sum(LedgerEntry.hours))
        .where(LedgerEntry.member_id == member_id, LedgerEntry.year == year)
        .group_by(LedgerEntry.category)
    ).all()
    for category, hours in rows:
        totals[category] = Decimal(hours or 0).quantize(ZERO)
    return totals


def online_hours_on(session: Session, member_id: int, day: date) -> Decimal:
    """Net online 学时 credited on one day, which the daily cap limits."""
    hours = session.scalar(
        sa.select(sa.func.sum(LedgerEntry.hours)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.category == HoursCategory.ONLINE,
            LedgerEntry.credited_on == day,
        )
    )
    return Decimal(hours or 0).quantize(ZERO)


def self_study_hours_on(session: Session, member_id: int, day: date) -> Decimal:
    hours = session.scalar(
        sa.select(sa.func.sum(LedgerEntry.hours)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.category == HoursCategory.SELF_STUDY,
            LedgerEntry.credited_on == day,
        )
    )
    return Decimal(hours or 0).quantize(ZERO)


def entries_for(
    session: Session, member_id: int, year: int, *, limit: int | None = None, offset: int = 0
) -> list[LedgerEntry]:
    """The member's ledger entries of the year, newest study day first.

    Each entry's rule set comes from the session (a member's year has one or two), not from a
    join that would decode the rule set's JSON again on every row.
    """
    query = (
        sa.select(LedgerEntry)
        .options(lazyload(LedgerEntry.rule_set))
        .where(LedgerEntry.member_id == member_id, LedgerEntry.year == year)
        .order_by(LedgerEntry.credited_on.desc(), LedgerEntry.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def entry_count(session: Session, member_id: int, year: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.member_id == member_id, LedgerEntry.year == year)
    )


def own_entry(session: Session, member_id: int, entry_id: int) -> LedgerEntry | None:
    """One of the member's own entries; None for anyone else's."""
    entry = session.get(LedgerEntry, entry_id)
    return entry if entry is not None and entry.member_id == member_id else None


def reversals_of(session: Session, entry_ids) -> dict[int, LedgerEntry]:
    """The entry cancelling each of `entry_ids` that has been reversed, by the reversed id."""
    if not entry_ids:
        return {}
    return {
        reversal.reverses_id: reversal
        for reversal in session.scalars(
            sa.select(LedgerEntry)
            .options(lazyload(LedgerEntry.rule_set))
            .where(LedgerEntry.reverses_id.in_(list(entry_ids)))
        )
    }


def entries_by_id(session: Session, entry_ids) -> dict[int, LedgerEntry]:
    if not entry_ids:
        return {}
    return {
        entry.id: entry
        for entry in session.scalars(
            sa.select(LedgerEntry)
            .options(lazyload(LedgerEntry.rule_set))
            .where(LedgerEntry.id.in_(list(entry_ids)))
        )
    }


def entry_for_source(
    session: Session, member_id: int, source_type, source_id, category: HoursCategory
) -> LedgerEntry | None:
    return session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.source_type == source_type,
            LedgerEntry.source_id == str(source_id),
            LedgerEntry.category == category,
        )
    )


def is_leader(member) -> bool:
    """基层党组织书记 and committee members carry the higher target."""
    return member.has_role(Role.SECRETARY) or member.has_role(Role.COMMITTEE_MEMBER)


def target_for(session: Session, member, year: int) -> Decimal | None:
    """The member's annual 学时 target, or None when the requirement does not apply to them.

    Exempt: members marked 年老体弱 (条例 Art. 23) and people who are not party members (the
    requirement is a party member's). The rule set in force on the year's last day decides, so a
    version added for a later year never changes a past year's target.
    """
    if member.is_elderly_exempt or not member.category.is_party_member:
        return None
    rules = rules_for(session, date(year, 12, 31))
    return rules.leader_target_hours if is_leader(member) else rules.annual_target_hours


def joined_after(member, year: int) -> bool:
    """The member's account was created after `year` ended (organisation's time): the year's
    requirement was never theirs."""
    return member.created_at >= datetime(year + 1, 1, 1, tzinfo=org_timezone())


def first_year_of(session: Session, member) -> int:
    """The first year with something to show the member: that of their account's creation, or
    an earlier one their ledger has entries in."""
    created = member.created_at.astimezone(org_timezone()).year
    earliest = session.scalar(
        sa.select(sa.func.min(LedgerEntry.year)).where(LedgerEntry.member_id == member.id)
    )
    return min(created, earliest) if earliest is not None else created


@dataclass
class YearSummary:
    year: int
    totals: dict[HoursCategory, Decimal]
    counted: Decimal  # the categories that count toward the target
    target: Decimal | None
    rules: Rules
    rule_set: RuleSet | None
    # Why target is None: "not_yet_member" (the account was created after the year ended),
    # "elderly" or "not_party_member".
    exempt_reason: str | None

    @property
    def share(self) -> float:
        if not self.target:
            return 0.0
        return min(float(self.counted / self.target), 1.0)

    @property
    def remaining(self) -> Decimal:
        if self.target is None:
            return ZERO
        return max(self.target - self.counted, ZERO)


def year_summary(session: Session, member, year: int) -> YearSummary:
    """The member's year: totals by category, what counts toward the target, and the target;
    none for a year that ended before the member's account was created."""
    rule_set = rule_set_for(session, date(year, 12, 31))
    rules = Rules.from_json(rule_set.rules if rule_set else {})
    totals = year_totals(session, member.id, year)
    counted = sum((totals[c] for c in rules.target_categories), ZERO)
    exempt_reason = None
    target = None
    if joined_after(member, year):
        exempt_reason = "not_yet_member"
    elif member.is_elderly_exempt:
        exempt_reason = "elderly"
    elif not member.category.is_party_member:
        exempt_reason = "not_party_member"
    else:
        target = target_for(session, member, year)
    return YearSummary(
        year=year,
        totals=totals,
        counted=counted,
        target=target,
        rules=rules,
        rule_set=rule_set,
        exempt_reason=exempt_reason,
    )
