"""A member removes a 个人自学 entry recorded by mistake: a reversing entry, in an open year, and
not once a frozen assessment dossier holds it (entries recorded after the freeze it does not)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from learnapp.assessments.models import Step
from learnapp.assessments.periods import create_period
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.hours.corrections import (
    closed_reason,
    evidence_frozen,
    latest_freeze,
    removable_ids,
    remove_self_study,
)
from learnapp.hours.models import EntryStatus, HoursCategory, SourceType
from learnapp.hours.queries import entries_for, reversals_of, year_totals
from learnapp.hours.services import credit, record_self_study, reverse_entry
from tests.assessments.helpers import new_period, schedule
from tests.factories import FIXED_NOW
from tests.orglife.factories import refused
from tests.world import build_world

SELF = HoursCategory.SELF_STUDY
LAST_YEAR = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)
LATER = FIXED_NOW + timedelta(days=1)


def _self_study(session, member, hours="1.5", day=date(2026, 3, 9), now=FIXED_NOW):
    return record_self_study(session, member, day=day, hours=hours, note="读党章", now=now)


def test_removing_appends_a_reversal_and_the_year_total_drops(ctx, session):
    world = build_world(session)
    keep = _self_study(session, world.member_b, hours="1")
    mistake = _self_study(session, world.member_b)
    assert year_totals(session, world.member_b.id, 2026)[SELF] == Decimal("2.50")
    reversal = remove_self_study(session, world.member_b, mistake, " 重复登记 ", FIXED_NOW)
    assert reversal.reverses_id == mistake.id and reversal.status == EntryStatus.REVERSAL
    assert reversal.hours == Decimal("-1.50") and reversal.note == "重复登记"
    assert reversal.credited_on == mistake.credited_on and reversal.category == SELF
    assert reversal.approver_id == world.member_b.id  # who made the correction
    assert year_totals(session, world.member_b.id, 2026)[SELF] == Decimal("1.00")
    # Nothing is edited or deleted: the original stays, and the correction says why.
    assert mistake.hours == Decimal("1.50") and mistake.status == EntryStatus.CREDITED
    assert len(entries_for(session, world.member_b.id, 2026)) == 3
    assert reversals_of(session, [keep.id, mistake.id]) == {mistake.id: reversal}
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "hours.self_study_removed")
    ).one()
    assert audit.actor_id == world.member_b.id and audit.target_id == str(mistake.id)
    assert audit.before["hours"] == "1.50" and audit.after["reason"] == "重复登记"


def test_a_removed_day_can_be_recorded_again_under_the_daily_cap(ctx, session):
    world = build_world(session)
    wrong = _self_study(session, world.member_b, hours="8")
    remove_self_study(session, world.member_b, wrong, "学时填错", FIXED_NOW)
    assert _self_study(session, world.member_b, hours="2").hours == Decimal("2.00")


def test_an_entry_is_removed_once(ctx, session):
    world = build_world(session)
    entry = _self_study(session, world.member_b)
    remove_self_study(session, world.member_b, entry, "重复", FIXED_NOW)
    with refused(None):
        remove_self_study(session, world.member_b, entry, "再次", FIXED_NOW)
    assert year_totals(session, world.member_b.id, 2026)[SELF] == Decimal("0.00")


def test_another_members_entry_cannot_be_removed(ctx, session):
    world = build_world(session)
    entry = _self_study(session, world.member_b)
    for actor in (world.member_a, world.secretary_a, world.admin):
        with refused(None):
            remove_self_study(session, actor, entry, "不是我的", FIXED_NOW)
    assert reversals_of(session, [entry.id]) == {}


def test_only_self_study_credits_can_be_removed(ctx, session):
    world = build_world(session)
    lesson = credit(
        session, world.member_b, HoursCategory.ONLINE, SourceType.LESSON, 7, "1", 1800, FIXED_NOW
    )
    meeting = credit(
        session, world.member_b, HoursCategory.COLLECTIVE, SourceType.MEETING, 3, "2", 0, FIXED_NOW
    )
    entry = _self_study(session, world.member_b)
    correction = reverse_entry(session, world.admin, lesson, "重复", FIXED_NOW)
    for other in (lesson, meeting, correction):
        with refused(None):
            remove_self_study(session, world.member_b, other, "x", FIXED_NOW)
    assert removable_ids(
        session, world.member_b, [lesson, meeting, correction, entry], FIXED_NOW
    ) == {entry.id}


def test_a_reason_is_required_and_stored_as_plain_text(ctx, session):
    world = build_world(session)
    entry = _self_study(session, world.member_b)
    for reason in ("", "   ", "记\x00错"):
        with refused("reason"):
            remove_self_study(session, world.member_b, entry, reason, FIXED_NOW)
    assert reversals_of(session, [entry.id]) == {}


def test_last_years_entries_are_closed(ctx, session):
    world = build_world(session)
    old = _self_study(session, world.member_b, day=date(2025, 11, 19), now=LAST_YEAR)
    assert removable_ids(session, world.member_b, [old], LAST_YEAR) == {old.id}
    assert closed_reason(session, old, FIXED_NOW)
    assert removable_ids(session, world.member_b, [old], FIXED_NOW) == set()
    with refused(None):
        remove_self_study(session, world.member_b, old, "记错", FIXED_NOW)


def test_the_year_closes_when_the_members_assessment_dossier_is_frozen(ctx, session):
    world = build_world(session)
    first, second = _self_study(session, world.member_a), _self_study(session, world.member_a)
    other_branch = _self_study(session, world.member_b)
    period = new_period(session, world, to=Step.EVALUATION)
    assert closed_reason(session, second, FIXED_NOW) is None
    remove_self_study(session, world.member_a, first, "记错", FIXED_NOW)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    assert period.step == Step.COMMITTEE  # branch A's dossiers are frozen
    assert "2026" in str(closed_reason(session, second, FIXED_NOW))
    with refused(None):
        remove_self_study(session, world.member_a, second, "记错", FIXED_NOW)
    assert removable_ids(session, world.member_a, [second], FIXED_NOW) == set()
    # Branch B has no frozen dossier: its member's year stays open.
    remove_self_study(session, world.member_b, other_branch, "记错", FIXED_NOW)
    assert set(reversals_of(session, [first.id, second.id, other_branch.id])) == {
        first.id,
        other_branch.id,
    }


def _freeze_branch_a(session, world, now=FIXED_NOW):
    """Branch A's 2026 assessment reaches the committee at `now`: its dossiers are frozen."""
    period = new_period(session, world, to=Step.EVALUATION, now=now)
    advance(session, world.secretary_a, period, now, allow_no_ballots=True)
    assert period.step == Step.COMMITTEE


def test_self_study_recorded_after_the_freeze_is_not_part_of_the_evidence(ctx, session):
    world = build_world(session)
    before = _self_study(session, world.member_a)
    _freeze_branch_a(session, world)
    after = _self_study(session, world.member_a, day=date(2026, 3, 11), now=LATER)
    assert evidence_frozen(session, before) and not evidence_frozen(session, after)
    assert "2026" in str(closed_reason(session, before, LATER))
    assert closed_reason(session, after, LATER) is None
    assert removable_ids(session, world.member_a, [before, after], LATER) == {after.id}
    remove_self_study(session, world.member_a, after, "记错", LATER)
    with refused(None):
        remove_self_study(session, world.member_a, before, "记错", LATER)
    assert set(reversals_of(session, [before.id, after.id])) == {after.id}
    assert year_totals(session, world.member_a.id, 2026)[SELF] == Decimal("1.50")


def test_an_entry_recorded_at_the_moment_of_the_freeze_is_part_of_it(ctx, session):
    world = build_world(session)
    _freeze_branch_a(session, world, now=LATER)
    same_moment = _self_study(session, world.member_a, now=LATER)
    assert evidence_frozen(session, same_moment)
    assert removable_ids(session, world.member_a, [same_moment], LATER) == set()


def test_last_years_entry_stays_closed_though_no_evidence_holds_it(ctx, session):
    world = build_world(session)
    old = _self_study(session, world.member_a, day=date(2025, 11, 19), now=LAST_YEAR)
    assert not evidence_frozen(session, old)  # 2025 was never assessed
    assert closed_reason(session, old, FIXED_NOW)
    assert removable_ids(session, world.member_a, [old], FIXED_NOW) == set()


def test_a_member_who_moved_branch_is_held_by_their_latest_dossier(ctx, session):
    world = build_world(session)
    _freeze_branch_a(session, world)
    between = _self_study(session, world.member_a, day=date(2026, 3, 11), now=LATER)
    world.member_a.unit = world.branch_b
    session.flush()
    second = FIXED_NOW + timedelta(days=2)
    period = create_period(
        session,
        world.general_secretary,
        world.branch_b,
        year=2026,
        now=second,
        **schedule(second),
    )
    while period.step != Step.COMMITTEE:
        advance(session, world.general_secretary, period, second, allow_no_ballots=True)
    assert latest_freeze(session, world.member_a.id, 2026).at == second
    then = second + timedelta(days=1)
    last = _self_study(session, world.member_a, day=date(2026, 3, 13), now=then)
    assert evidence_frozen(session, between) and not evidence_frozen(session, last)
    assert removable_ids(session, world.member_a, [between, last], then) == {last.id}
