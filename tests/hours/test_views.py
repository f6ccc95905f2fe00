import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.hours.models import RuleSet
from tests.world import build_world

FORM = {
    "version": "2026-2",
    "effective_from": "2026-04-01",
    "source": "某单位党员教育培训实施办法第八条",
    "annual_target_hours": "32",
    "leader_target_hours": "56",
    "daily_online_cap_hours": "3",
    "daily_self_study_cap_hours": "8",
    "final_test_bonus_hours": "0.5",
    "long_lesson_minutes": "30",
    "long_lesson_hours": "1",
    "medium_lesson_minutes": "15",
    "medium_lesson_hours": "0.5",
    "short_lesson_hours": "0.25",
    "session_per_hour": "1",
    "session_half_day": "4",
    "session_full_day": "8",
}


def test_admin_views_rules_and_adds_a_version(session, auth):
    build_world(session)
    auth.login("admin")
    form = auth.client.get("/hours/rules/new").get_data(as_text=True)
    assert 'value="32.00"' in form or 'value="32"' in form
    response = auth.post("/hours/rules/new", FORM)
    assert response.status_code == 302
    page = auth.client.get("/hours/rules").get_data(as_text=True)
    assert "2026-2" in page and "2019-1" in page and "某单位党员教育培训实施办法" in page
    session.rollback()
    added = session.scalars(sa.select(RuleSet).where(RuleSet.version == "2026-2")).one()
    assert Decimal(added.rules["daily_online_cap_hours"]) == Decimal("3")
    assert "self_study" not in added.rules["target_categories"]
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "hours.rule_set_added"))


def test_a_version_in_the_past_is_refused(session, auth):
    build_world(session)
    auth.login("admin")
    response = auth.post("/hours/rules/new", {**FORM, "effective_from": "2026-01-01"})
    assert response.status_code == 400


def test_members_and_secretaries_cannot_see_the_rules_screens(session, auth):
    build_world(session)
    auth.login("seca")
    assert auth.client.get("/hours/rules").status_code == 403
    assert auth.post("/hours/rules/new", FORM).status_code == 403
    assert auth.post("/hours/rules/1/delete").status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"leader_target_hours": "30"}, "leader_target_hours", "不能低于党员年度学时要求。"),
        ({"medium_lesson_hours": "1.5"}, "medium_lesson_hours", "不能高于长课节的学时。"),
        ({"short_lesson_hours": "0.75"}, "short_lesson_hours", "不能高于中课节的学时。"),
        ({"session_per_hour": "5"}, "session_per_hour", "不能高于半天的学时。"),
        ({"session_half_day": "9"}, "session_half_day", "不能高于全天的学时。"),
        ({"annual_target_hours": "32.125"}, "annual_target_hours", "最多保留两位小数。"),
        ({"short_lesson_hours": "0.333"}, "short_lesson_hours", "最多保留两位小数。"),
    ],
)
def test_a_version_whose_quantities_run_the_wrong_way_is_refused(
    session, auth, changes, field, message
):
    build_world(session)
    auth.login("admin")
    response = auth.post("/hours/rules/new", {**FORM, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    after_field = page.split(f'id="{field}"', 1)[1].split("<input", 1)[0]
    assert re.findall(r'class="invalid-feedback">([^<]+)<', after_field) == [message]
    session.rollback()
    assert session.scalar(sa.select(RuleSet).where(RuleSet.version == "2026-2")) is None


def test_equal_neighbouring_quantities_are_accepted(session, auth):
    build_world(session)
    auth.login("admin")
    same = {
        "leader_target_hours": "32",
        "medium_lesson_hours": "1",
        "short_lesson_hours": "1",
        "session_per_hour": "4",
        "session_half_day": "8",
    }
    assert auth.post("/hours/rules/new", {**FORM, **same}).status_code == 302
