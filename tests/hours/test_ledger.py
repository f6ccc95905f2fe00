from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, RuleSet, SourceType
from learnapp.hours.queries import entries_for, year_summary, year_totals
from learnapp.hours.rules import DEFAULT_RULES, Rules
from learnapp.hours.services import (
    add_rule_set,
    credit,
    ensure_default_rule_set,
    record_self_study,
    reverse_entry,
)
from learnapp.orgs.models import MemberCategory, Role
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

ONLINE = HoursCategory.ONLINE
LESSON = SourceType.LESSON
TODAY = date(2026, 3, 10)  # FIXED_NOW in Shanghai


def _credit(session, member, source_id, hours="1", at=FIXED_NOW, **kwargs):
    return credit(session, member, ONLINE, LESSON, source_id, hours, 1500, at, **kwargs)


def _entries(session, member):
    return list(session.scalars(sa.select(LedgerEntry).where(LedgerEntry.member_id == member.id)))


def test_crediting_the_same_source_twice_credits_once(ctx, session):
    world = build_world(session)
    first = _credit(session, world.member_a, 7)
    second = _credit(session, world.member_a, 7, hours="0.5")
    assert first.id == second.id
    assert len(_entries(session, world.member_a)) == 1
    assert year_totals(session, world.member_a.id, 2026)[ONLINE] == Decimal("1.00")


def test_entry_records_source_rule_version_day_and_year(ctx, session):
    world = build_world(session)
    entry = _credit(session, world.member_a, 3, hours="0.5")
    assert entry.source_type == LESSON and entry.source_id == "3"
    assert entry.rule_set.version == "2019-1"
    assert entry.credited_on == date(2026, 3, 10) and entry.year == 2026
    assert entry.status == EntryStatus.CREDITED
    assert entry.verified_seconds == 1500
    assert entry.hours == Decimal("0.50") == entry.nominal_hours


def test_daily_online_cap_holds_across_lessons(ctx, session):
    world = build_world(session)
    for lesson_id in range(1, 4):
        _credit(session, world.member_a, lesson_id)  # 3 学时
    partly = _credit(session, world.member_a, 4, hours="1.5")
    nothing = _credit(session, world.member_a, 5, hours="0.25")
    assert partly.hours == Decimal("1.00") and partly.is_capped
    assert nothing.hours == Decimal("0.00") and nothing.is_capped
    assert year_totals(session, world.member_a.id, 2026)[ONLINE] == Decimal("4.00")


def test_the_cap_is_per_day_in_the_organisation_timezone(ctx, session):
    world = build_world(session)
    late_evening = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    after_midnight = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 00:30 on the 11th
    for lesson_id in range(1, 5):
        _credit(session, world.member_a, lesson_id, at=late_evening)
    next_day = _credit(session, world.member_a, 9, at=after_midnight)
    assert next_day.credited_on == date(2026, 3, 11)
    assert next_day.hours == Decimal("1.00")


def test_the_year_boundary_is_in_the_organisation_timezone(ctx, session):
    world = build_world(session)
    old_year = _credit(session, world.member_a, 1, at=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    new_year = _credit(session, world.member_a, 2, at=datetime(2026, 12, 31, 16, 1, tzinfo=UTC))
    assert (old_year.year, new_year.year) == (2026, 2027)
    assert new_year.credited_on == date(2027, 1, 1)
    assert year_totals(session, world.member_a.id, 2027)[ONLINE] == Decimal("1.00")
    assert [e.id for e in entries_for(session, world.member_a.id, 2026)] == [old_year.id]


def test_the_rule_set_in_force_on_the_day_applies(ctx, session):
    world = build_world(session)
    before = _credit(session, world.member_a, 1)
    rules = Rules.from_json({**DEFAULT_RULES, "daily_online_cap_hours": "2"})
    add_rule_set(
        session,
        world.admin,
        version="2026-2",
        effective_from=date(2026, 4, 1),
        source="本单位2026年学习制度第五条",
        rules=rules,
        now=FIXED_NOW,
    )
    april = datetime(2026, 4, 2, 2, tzinfo=UTC)
    first = _credit(session, world.member_a, 2, hours="1.5", at=april)
    second = _credit(session, world.member_a, 3, hours="1", at=april)
    assert before.rule_set.version == "2019-1"
    assert first.rule_set.version == second.rule_set.version == "2026-2"
    assert second.hours == Decimal("0.50")


def test_credit_refuses_nonsense_hours(ctx, session):
    world = build_world(session)
    for hours in ("0", "-1", "NaN", "Infinity", "abc", "1000"):
        with pytest.raises(DomainError):
            _credit(session, world.member_a, 1, hours=hours)


def test_a_correction_is_a_reversing_entry_and_happens_once(ctx, session):
    world = build_world(session)
    entry = _credit(session, world.member_a, 1)
    reversal = reverse_entry(session, world.secretary_a, entry, "重复记录", FIXED_NOW)
    assert reversal.hours == Decimal("-1.00") and reversal.reverses_id == entry.id
    assert reversal.status == EntryStatus.REVERSAL
    assert year_totals(session, world.member_a.id, 2026)[ONLINE] == Decimal("0.00")
    assert entry.hours == Decimal("1.00")  # the original stays as it was
    with pytest.raises(DomainError):
        reverse_entry(session, world.secretary_a, entry, "again", FIXED_NOW)
    with pytest.raises(DomainError):
        reverse_entry(session, world.secretary_a, reversal, "undo", FIXED_NOW)
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "hours.entry_reversed"))


def test_a_secretary_cannot_correct_another_branchs_member(ctx, session):
    world = build_world(session)
    entry = _credit(session, world.member_b, 1)
    with pytest.raises(DomainError):
        reverse_entry(session, world.secretary_a, entry, "不在本支部", FIXED_NOW)
    with pytest.raises(DomainError):
        reverse_entry(
            session, world.secretary_a, _credit(session, world.member_a, 2), "", FIXED_NOW
        )


def test_targets_by_role_and_exemption(ctx, session):
    world = build_world(session)
    committee = make_user(
        session, unit=world.branch_a, roles=((Role.COMMITTEE_MEMBER, world.branch_a),)
    )
    elderly = make_user(session, unit=world.branch_a, is_elderly_exempt=True)
    activist = make_user(session, unit=world.branch_a, category=MemberCategory.ACTIVIST)
    assert year_summary(session, world.member_b, 2026, TODAY).target == Decimal("32")
    assert year_summary(session, world.member_a, 2026, TODAY).target == Decimal(
        "32"
    )  # probationary
    assert year_summary(session, world.secretary_a, 2026, TODAY).target == Decimal("56")
    assert year_summary(session, committee, 2026, TODAY).target == Decimal("56")
    assert year_summary(session, elderly, 2026, TODAY).target is None
    assert year_summary(session, activist, 2026, TODAY).target is None
    assert year_summary(session, elderly, 2026, TODAY).exempt_reason == "elderly"


def test_self_study_is_recorded_but_not_counted_by_default(ctx, session):
    world = build_world(session)
    _credit(session, world.member_b, 1)
    record_self_study(
        session, world.member_b, day=date(2026, 3, 9), hours="2", note="读党章", now=FIXED_NOW
    )
    summary = year_summary(session, world.member_b, 2026, TODAY)
    assert summary.totals[HoursCategory.SELF_STUDY] == Decimal("2.00")
    assert summary.counted == Decimal("1.00")
    assert summary.remaining == Decimal("31.00")


@pytest.mark.parametrize(
    ("day", "hours", "field"),
    [
        (date(2026, 3, 11), "1", "day"),  # tomorrow in Shanghai
        (date(2025, 12, 31), "1", "day"),  # last year
        (date(2026, 3, 10), "0", "hours"),
        (date(2026, 3, 10), "8.5", "hours"),
    ],
)
def test_self_study_validation(ctx, session, day, hours, field):
    world = build_world(session)
    with pytest.raises(DomainError) as error:
        record_self_study(session, world.member_b, day=day, hours=hours, note="x", now=FIXED_NOW)
    assert error.value.field == field


def test_a_self_study_note_with_a_control_character_is_refused(ctx, session):
    world = build_world(session)
    with pytest.raises(DomainError) as error:
        record_self_study(
            session,
            world.member_b,
            day=date(2026, 3, 9),
            hours="1",
            note="读\x00党章",
            now=FIXED_NOW,
        )
    assert error.value.field == "note"
    assert year_summary(session, world.member_b, 2026, TODAY).totals[HoursCategory.SELF_STUDY] == 0


def test_self_study_is_at_most_eight_hours_a_day_in_total(ctx, session):
    world = build_world(session)
    day = date(2026, 3, 1)
    record_self_study(session, world.member_b, day=day, hours="6", note="a", now=FIXED_NOW)
    with pytest.raises(DomainError):
        record_self_study(session, world.member_b, day=day, hours="2.5", note="b", now=FIXED_NOW)
    record_self_study(session, world.member_b, day=day, hours="2", note="c", now=FIXED_NOW)


def test_only_admins_add_rule_sets_and_never_in_the_past(ctx, session):
    world = build_world(session)
    rules = Rules.from_json(DEFAULT_RULES)
    kwargs = {"source": "文件", "rules": rules, "now": FIXED_NOW}
    with pytest.raises(DomainError):
        add_rule_set(
            session, world.secretary_a, version="x", effective_from=date(2026, 6, 1), **kwargs
        )
    with pytest.raises(DomainError) as error:
        add_rule_set(session, world.admin, version="x", effective_from=date(2026, 3, 9), **kwargs)
    assert error.value.field == "effective_from"
    added = add_rule_set(
        session, world.admin, version="2026-1", effective_from=date(2026, 3, 10), **kwargs
    )
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "hours.rule_set_added", AuditEntry.target_id == str(added.id)
        )
    )
    with pytest.raises(DomainError):
        add_rule_set(
            session, world.admin, version="2026-1", effective_from=date(2026, 7, 1), **kwargs
        )


def test_the_default_rule_set_is_stored_once(ctx, session):
    ensure_default_rule_set(session, FIXED_NOW)
    ensure_default_rule_set(session, FIXED_NOW)
    assert session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 1
