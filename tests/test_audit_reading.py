"""Reading the audit log as an administrator does: codes by their labels, 学时 rule sets by
version, a who-filter by part of a name, a date range that cannot match said so, and an
account's creation logged once."""

import csv
import io
import json
from datetime import UTC, date, datetime

import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.audit.models import AuditEntry
from learnapp.audit.services import record
from learnapp.hours.models import RuleSet
from learnapp.hours.rules import DEFAULT_RULES, Rules
from learnapp.hours.services import add_rule_set, delete_rule_set
from learnapp.orgs.models import Role
from learnapp.orgs.roles import grant_role
from tests.factories import FIXED_NOW, make_user
from tests.test_audit import _details, _targets
from tests.world import build_world


def _rows(auth, query: str = "") -> list[str]:
    return _targets(auth.client.get(f"/admin/audit?{query}").text)


def _create_account(auth, world, **overrides):
    return auth.post(
        "/admin/users/new",
        {
            "username": "xinren",
            "display_name": "新同志",
            "unit_id": world.branch_b.id,
            "category": "activist",
            "phone": "",
            "with_password": "y",
            **overrides,
        },
    )


def _entries_about(session, username: str) -> list[AuditEntry]:
    session.commit()  # end the read transaction: see what the requests since have committed
    user_id = session.scalar(sa.select(User.id).where(User.username == username))
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id))
            .order_by(AuditEntry.id)
        )
    )


def test_creating_an_account_with_a_password_logs_the_creation_only(auth, session):
    world = build_world(session)
    session.commit()
    auth.login("admin")
    assert _create_account(auth, world).status_code == 302
    (entry,) = _entries_about(session, "xinren")
    assert entry.action == "user.created"
    assert entry.after["initial_password_generated"] is True
    assert entry.actor_id == world.admin.id


def test_creating_an_account_without_a_password_notes_none(auth, session):
    world = build_world(session)
    session.commit()
    auth.login("admin")
    assert _create_account(auth, world, with_password="").status_code == 302
    (entry,) = _entries_about(session, "xinren")
    assert entry.action == "user.created"
    assert "initial_password_generated" not in entry.after


def test_a_reset_after_creation_is_still_logged_as_a_reset(auth, session):
    world = build_world(session)
    session.commit()
    auth.login("admin")
    _create_account(auth, world)
    (created,) = _entries_about(session, "xinren")
    assert auth.post(f"/admin/users/{created.target_id}/reset-password").status_code == 302
    actions = [entry.action for entry in _entries_about(session, "xinren")]
    assert actions == ["user.created", "user.password_reset"]


def test_account_details_show_labels_not_codes_on_the_page_and_in_the_export(
    app, auth, session, clock
):
    world = build_world(session)
    session.commit()
    auth.login("admin")
    _create_account(auth, world)
    with app.test_request_context():
        grant_role(session, world.admin, world.member_b, world.branch_b, Role.REVIEWER, clock())
    session.commit()
    (created,) = _details(auth.client.get("/admin/audit?action=user.created").text)
    created = json.loads(created)
    assert created["category"] == "入党积极分子"
    assert created["is_active"] == "正常"
    assert created["unit_id"] == "乙支部"
    (granted,) = _details(auth.client.get("/admin/audit?action=role.granted").text)
    assert json.loads(granted) == {"role": "审核员", "unit_id": "乙支部"}
    export = auth.client.get("/admin/audit/export.csv?action=user.created").text
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert json.loads(rows[1][9])["category"] == "入党积极分子"


def test_a_code_without_a_label_stays_as_recorded(auth, session, clock):
    world = build_world(session)
    record(
        session,
        world.admin,
        "role.revoked",
        "user",
        world.member_b.id,
        now=clock(),
        before={"role": "retired_role", "is_active": False},
    )
    record(
        session,
        world.admin,
        "unit.updated",
        "unit",
        world.branch_a.id,
        now=clock(),
        after={"kind": "branch", "is_active": False},
    )
    session.commit()
    auth.login("admin")
    unit_after, revoked_before = (
        json.loads(text) for text in _details(auth.client.get("/admin/audit").text)
    )
    assert revoked_before == {"role": "retired_role", "is_active": "已停用"}
    assert unit_after == {"kind": "党支部", "is_active": "已停用"}


def test_study_hour_rule_sets_are_named_by_version(app, auth, session):
    world = build_world(session)
    rules = Rules.from_json(DEFAULT_RULES)
    with app.test_request_context():
        kept, gone = (
            add_rule_set(
                session,
                world.admin,
                version=version,
                effective_from=starts,
                source="学习制度",
                rules=rules,
                now=FIXED_NOW,
            )
            for version, starts in (("2026-2", date(2026, 6, 1)), ("2027-1", date(2027, 1, 1)))
        )
        delete_rule_set(session, world.admin, gone, FIXED_NOW)
    session.commit()
    assert session.get(RuleSet, kept.id) is not None
    auth.login("admin")
    targets = _rows(auth, "target_type=hours_rule_set")
    assert targets == [
        "学时规则 版本 2027-1 (已删除)",
        "学时规则 版本 2027-1 (已删除)",
        "学时规则 版本 2026-2",
    ]
    export = auth.client.get("/admin/audit/export.csv?target_type=hours_rule_set").text
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert [row[7] for row in rows[1:]] == [
        "版本 2027-1（已删除）",
        "版本 2027-1（已删除）",
        "版本 2026-2",
    ]


def test_who_finds_part_of_a_user_name_or_name_in_any_case(auth, session, clock):
    world = build_world(session)
    helper = make_user(session, username="li_helper", display_name="Li Zhuli")
    lookalike = make_user(session, username="lixhelper", display_name="李某")
    for actor in (helper, lookalike, world.admin):
        record(session, actor, "unit.updated", "unit", world.branch_a.id, now=clock())
    session.commit()
    auth.login("admin")
    assert len(_rows(auth)) == 3
    assert len(_rows(auth, "who=HELP")) == 2
    assert len(_rows(auth, "who=zhuli")) == 1
    # Typed wildcards are matched as themselves: "_" is not "any one character".
    assert len(_rows(auth, "who=li_")) == 1
    assert len(_rows(auth, "who=%25")) == 0
    assert len(_rows(auth, "who=某")) == 1


def test_a_reversed_date_range_says_so_and_lists_nothing(auth, session, clock):
    world = build_world(session)
    record(session, world.admin, "unit.updated", "unit", world.branch_a.id, now=clock())
    session.commit()
    auth.login("admin")
    day = clock().astimezone(UTC).date().isoformat()
    assert len(_rows(auth, f"since={day}&until={day}")) == 1
    page = auth.client.get("/admin/audit?since=2026-03-20&until=2026-03-01").text
    assert 'data-testid="audit-range-problem"' in page
    assert "结束日期早于开始日期" in page
    assert _targets(page) == []
    assert 'value="2026-03-20"' in page and 'value="2026-03-01"' in page
    response = auth.client.get("/admin/audit/export.csv?since=2026-03-20&until=2026-03-01")
    assert response.status_code == 302
    assert "since=2026-03-20" in response.headers["Location"]
    session.expire_all()
    exported = sa.select(AuditEntry).where(AuditEntry.action == "audit.exported")
    assert session.scalar(exported) is None


def test_a_range_in_order_filters_without_a_message(auth, session, clock):
    world = build_world(session)
    record(session, world.admin, "unit.updated", "unit", world.branch_a.id, now=clock())
    record(
        session,
        world.admin,
        "unit.updated",
        "unit",
        world.branch_b.id,
        now=datetime(2026, 1, 5, 3, tzinfo=UTC),
    )
    session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/audit?since=2026-03-01&until=2026-03-20").text
    assert "audit-range-problem" not in page
    assert len(_targets(page)) == 1
