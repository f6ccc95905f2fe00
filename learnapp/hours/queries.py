"""Read API of the 学时 ledger for every other package. Totals are sums over the ledger."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from learnapp.clock import org_timezone
from learnapp.hours.models import HoursCategory, LedgerEntry, RuleSet
from learnapp.hours.rules import Rules
from learnapp.orgs.standing import Standing, standing_at, standing_now

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


def target_day(year: int, today: date) -> date:
    """The day whose rule set sets the year's target: today while the year runs (a version not
    yet in force changes nothing before it is), the year's last day once it is over (a version
    added for a later year never changes a past year's target)."""
    return min(date(year, 12, 31), today)


def upcoming_rule_set(session: Session, today: date) -> RuleSet | None:
    """The next version not yet in force on `today`, if one has been added."""
    return session.scalar(
        sa.select(RuleSet)
        .where(RuleSet.effective_from > today)
        .order_by(RuleSet.effective_from)
        .limit(1)
    )


# Per rule set id, the categories in which its entries count toward the target.
Counting = dict[int, frozenset[HoursCategory]]


def counting_rules(session: Session) -> Counting:
    """What counts toward the target under each rule set (a handful of rows)."""
    return {
        rule_set_id: Rules.from_json(rules).target_categories
        for rule_set_id, rules in session.execute(sa.select(RuleSet.id, RuleSet.rules))
    }


def counts_toward_target(counting: Counting) -> sa.ColumnElement[bool]:
    """SQL: the ledger entry counts toward the target under the rule set it was credited with
    (one term per distinct set of categories, so one term while every version agrees)."""
    by_categories: dict[frozenset, list[int]] = {}
    for rule_set_id, categories in counting.items():
        by_categories.setdefault(categories, []).append(rule_set_id)
    return sa.or_(
        sa.false(),
        *(
            sa.and_(
                LedgerEntry.rule_set_id.in_(sorted(ids)),
                LedgerEntry.category.in_(sorted(categories)),
            )
            for categories, ids in by_categories.items()
            if categories
        ),
    )


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


def target_for(rules: Rules, standing: Standing) -> Decimal | None:
    """The annual 学时 target of a member of this standing, or None when the requirement does
    not apply to them. Exempt: members marked 年老体弱 (条例 Art. 23) and people who are not
    party members (the requirement is a party member's)."""
    if standing.is_elderly_exempt or not standing.category.is_party_member:
        return None
    return rules.leader_target_hours if standing.is_leader else rules.annual_target_hours


def joined_after(member, year: int) -> bool:
    """The member's account was created after `year` ended (organisation's time): the year's
    requirement was never theirs."""
    return member.created_at >= year_end(year)


def first_year_of(session: Session, member) -> int:
    """The first year with something to show the member: that of their account's creation, or
    an earlier one their ledger has entries in."""
    created = member.created_at.astimezone(org_timezone()).year
    earliest = session.scalar(
        sa.select(sa.func.min(LedgerEntry.year)).where(LedgerEntry.member_id == member.id)
    )
    return min(created, earliest) if earliest is not None else created


def year_end(year: int) -> datetime:
    """The first instant after `year`, in the organisation's timezone."""
    return datetime(year + 1, 1, 1, tzinfo=org_timezone())


def year_standing(session: Session, member, year: int, today: date) -> Standing:
    """What the member's target in `year` follows: their standing now while the year runs, and
    for a finished year their standing at its end (orgs.standing)."""
    if year >= today.year:
        return standing_now(member)
    return standing_at(session, member, year_end(year))


def _year_sums(session: Session, member_id: int, year: int, counting: Counting):
    """Net 学时 of the year per category, and the part of each counted toward the target by the
    rule set each entry was credited with."""
    totals = dict.fromkeys(HoursCategory, ZERO)
    counted = dict.fromkeys(HoursCategory, ZERO)
    rows = session.execute(
        sa.select(LedgerEntry.category, LedgerEntry.rule_set_id, sa.func.sum(LedgerEntry.hours))
        .where(LedgerEntry.member_id == member_id, LedgerEntry.year == year)
        .group_by(LedgerEntry.category, LedgerEntry.rule_set_id)
    ).all()
    for category, rule_set_id, hours in rows:
        hours = Decimal(hours or 0).quantize(ZERO)
        totals[category] += hours
        if category in counting.get(rule_set_id, ()):
            counted[category] += hours
    return totals, counted


@dataclass
class YearSummary:
    year: int
    totals: dict[HoursCategory, Decimal]
    # Per category, the hours counted toward the target: an entry counts by the rule set it
    # was credited with (the past is not re-ruled), so a category may count in part.
    counted_by_category: dict[HoursCategory, Decimal]
    counted: Decimal
    target: Decimal | None
    rules: Rules  # the rule set the target is taken from (target_day)
    rule_set: RuleSet | None
    upcoming: RuleSet | None  # for the current year: a version not yet in force
    standing: Standing
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


def year_summary(session: Session, member, year: int, today: date) -> YearSummary:
    """The member's year on `today`: totals by category, what counts toward the target (each
    entry by its own rule set), and the target: that of the rule set in force today while the
    year runs, at its end once it is over (target_day), for the member's standing then
    (year_standing). No target for a year that ended before the member's account was created."""
    rule_set = rule_set_for(session, target_day(year, today))
    rules = Rules.from_json(rule_set.rules if rule_set else {})
    totals, counted_by_category = _year_sums(session, member.id, year, counting_rules(session))
    standing = year_standing(session, member, year, today)
    exempt_reason = None
    if joined_after(member, year):
        exempt_reason = "not_yet_member"
    elif standing.is_elderly_exempt:
        exempt_reason = "elderly"
    elif not standing.category.is_party_member:
        exempt_reason = "not_party_member"
    return YearSummary(
        year=year,
        totals=totals,
        counted_by_category=counted_by_category,
        counted=sum(counted_by_category.values(), ZERO),
        target=None if exempt_reason else target_for(rules, standing),
        rules=rules,
        rule_set=rule_set,
        upcoming=upcoming_rule_set(session, today) if year == today.year else None,
        standing=standing,
        exempt_reason=exempt_reason,
    )
