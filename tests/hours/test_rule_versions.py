"""A rule version changes nothing before its first day: the year's target is that of the version
in force today (on the year's last day once it is over), an entry counts toward the target by the
version it was credited with, and a version not yet in force can be removed."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.completion.member_rows import member_status
from learnapp.completion.queries import Frame
from learnapp.completion.rollup import refresh
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, RuleSet, SourceType
from learnapp.hours.queries import year_summary
from learnapp.hours.rules import DEFAULT_RULES, Rules
from learnapp.hours.services import (
    add_rule_set,
    credit,
    delete_rule_set,
    ensure_default_rule_set,
    record_self_study,
)
from tests.hours.test_views import FORM
from tests.world import build_world

DEC_6 = datetime(2026, 12, 6, 2, tzinfo=UTC)  # 10:00 in Shanghai
DEC_21 = datetime(2026, 12, 21, 2, tzinfo=UTC)
JAN_5 = datetime(2027, 1, 5, 2, tzinfo=UTC)
SELF = HoursCategory.SELF_STUDY
NEW_VERSION = {
    **FORM,
    "version": "2026-12",
    "effective_from": "2026-12-20",
    "annual_target_hours": "40",
    "self_study_counts": "y",
}


def _study(session, member):
    """18.75 学时 of centralised training and 11.50 of self-study, all before 20 December."""
    credit(
        session,
        member,
        HoursCategory.CENTRALISED,
        SourceType.CLAIM,
        "training",
        "18.75",
        0,
        DEC_6,
        day=date(2026, 6, 1),
    )
    for day, hours in ((1, "8"), (2, "3.5")):
        record_self_study(
            session, member, day=date(2026, 12, day), hours=hours, note="读原著", now=DEC_6
        )


def _new_version(session, admin):
    rules = Rules.from_json(
        {
            **DEFAULT_RULES,
            "annual_target_hours": "40",
            "target_categories": [*DEFAULT_RULES["target_categories"], SELF.value],
        }
    )
    return add_rule_set(
        session,
        admin,
        version="2026-12",
        effective_from=date(2026, 12, 20),
        source="某单位党员教育培训实施办法（2026年修订）",
        rules=rules,
        now=DEC_6,
    )


def test_a_version_not_yet_in_force_changes_nothing_until_its_first_day(session, ctx):
    world = build_world(session)
    ensure_default_rule_set(session, DEC_6)
    _study(session, world.member_b)
    _new_version(session, world.admin)
    before = year_summary(session, world.member_b, 2026, date(2026, 12, 6))
    assert (before.counted, before.target) == (Decimal("18.75"), Decimal("32"))
    assert before.totals[SELF] == Decimal("11.50")
    assert before.rule_set.version == "2019-1" and before.upcoming.version == "2026-12"
    assert SELF not in before.rules.target_categories
    frame = Frame.of(session, 2026, DEC_6)
    row = member_status(session, world.member_b, frame)
    assert (row.counted, row.target) == (Decimal("18.75"), Decimal("32.00"))


def test_from_its_first_day_the_target_is_the_new_one_and_only_new_entries_count_by_it(
    session, ctx
):
    world = build_world(session)
    ensure_default_rule_set(session, DEC_6)
    _study(session, world.member_b)
    _new_version(session, world.admin)
    record_self_study(
        session, world.member_b, day=date(2026, 12, 21), hours="2", note="读原著", now=DEC_21
    )
    after = year_summary(session, world.member_b, 2026, date(2026, 12, 21))
    assert after.target == Decimal("40") and after.upcoming is None
    assert after.rule_set.version == "2026-12"
    # Self-study of before the 20th keeps the version it was credited with: not counted.
    assert after.totals[SELF] == Decimal("13.50") and after.counted_by_category[SELF] == 2
    assert after.counted == Decimal("20.75")
    for moment in (DEC_21, JAN_5):
        assert member_status(session, world.member_b, Frame.of(session, 2026, moment)).counted == (
            Decimal("20.75")
        )
    refresh(session, JAN_5)  # the rollup counts each entry by its own version too
    rolled = member_status(session, world.member_b, Frame.of(session, 2026, JAN_5))
    assert (rolled.counted, rolled.target) == (Decimal("20.75"), Decimal("40.00"))
    # Once the year is over its target is that of its last day.
    past = year_summary(session, world.member_b, 2026, date(2027, 1, 5))
    assert past.target == Decimal("40") and past.upcoming is None


def test_the_members_page_names_the_version_in_force_and_the_one_to_come(session, auth, app, clock):
    clock.at = DEC_6
    world = build_world(session)
    with app.app_context():
        ensure_default_rule_set(session, DEC_6)
        _study(session, world.member_b)
    session.commit()
    auth.login("admin")
    assert auth.post("/hours/rules/new", NEW_VERSION).status_code == 302
    auth.logout()
    auth.login("memb")
    page = auth.client.get("/study/me").get_data(as_text=True)
    assert 'data-testid="counted-hours">18.75<' in page and "/ 32" in page
    assert "2019-1" in page
    upcoming = page.split('data-testid="upcoming-rules">')[1].split("</div>")[0]
    assert "2026-12" in upcoming and "2026-12-20" in upcoming
    assert "/ 40" not in page


def test_an_administrator_removes_a_version_not_yet_in_force(session, auth, app, clock):
    clock.at = DEC_6
    world = build_world(session)
    with app.app_context():
        scheduled = _new_version(session, world.admin)
    session.commit()
    auth.login("admin")
    page = auth.client.get("/hours/rules").get_data(as_text=True)
    assert page.count('data-testid="rule-set-delete"') == 1
    assert 'data-testid="rule-set-in-force"' in page
    response = auth.post(f"/hours/rules/{scheduled.id}/delete")
    assert response.status_code == 302
    session.rollback()
    assert session.scalar(sa.select(RuleSet).where(RuleSet.version == "2026-12")) is None
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "hours.rule_set_deleted")
    )
    assert entry.before["version"] == "2026-12" and entry.actor_id == world.admin.id


def test_a_version_in_force_cannot_be_removed(session, auth, app, clock):
    clock.at = DEC_6
    build_world(session)
    with app.app_context():
        in_force = ensure_default_rule_set(session, DEC_6)
    session.commit()
    auth.login("admin")
    response = auth.post(f"/hours/rules/{in_force.id}/delete")
    assert response.status_code == 302
    assert "不能删除" in auth.client.get("/hours/rules").get_data(as_text=True)
    session.rollback()
    assert session.get(RuleSet, in_force.id) is not None


def test_a_version_entries_were_credited_with_or_removed_by_a_non_admin_stays(session, ctx):
    world = build_world(session)
    ensure_default_rule_set(session, DEC_6)
    scheduled = _new_version(session, world.admin)
    with pytest.raises(DomainError):
        delete_rule_set(session, world.secretary_a, scheduled, DEC_6)
    credit(
        session,
        world.member_b,
        HoursCategory.CENTRALISED,
        SourceType.CLAIM,
        "ahead",
        "2",
        0,
        DEC_6,
        day=date(2026, 12, 20),
    )
    with pytest.raises(DomainError):
        delete_rule_set(session, world.admin, scheduled, DEC_6)
    assert session.get(RuleSet, scheduled.id) is not None


def test_only_administrators_reach_the_removal(session, auth):
    build_world(session)
    session.commit()
    auth.login("memb")
    assert auth.post("/hours/rules/1/delete").status_code == 403
    auth.logout()
    auth.login("admin")
    assert auth.post("/hours/rules/999999/delete").status_code == 404
