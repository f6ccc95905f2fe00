"""The audit log as an administrator reads it: labels, readable values, names, filters, export."""

import csv
import html
import io
import json
import pathlib
import re
from decimal import Decimal

import sqlalchemy as sa

import learnapp
from learnapp.assessments.models import PointItem, PointKind, PointState
from learnapp.audit.labels import ACTION_LABELS, TARGET_LABELS, action_label, target_label
from learnapp.audit.models import AuditEntry
from learnapp.audit.services import record
from learnapp.orgs.services import move_member
from tests.assessments.helpers import new_period
from tests.factories import make_unit, make_user
from tests.world import build_world

RECORD_CALL = re.compile(r"\b(?:record|_audit_status)\(")
QUOTED = re.compile(r'"([a-z_]+(?:\.[a-z_]+)?)"')


def _recorded_codes() -> tuple[set[str], set[str]]:
    """Action codes and target types written by record(...) calls in the package's source: the
    action is the first dotted literal of a call, its target type the next plain one."""
    actions, targets = set(), set()
    for path in pathlib.Path(learnapp.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in RECORD_CALL.finditer(text):
            literals = QUOTED.findall(text[call.end() : call.end() + 400])[:4]
            if not literals or "." not in literals[0]:
                continue  # not an audit call, or one whose action is a variable
            # `"user.enabled" if active else "user.disabled", "user"`: two actions, one type.
            actions.update(literal for literal in literals[:2] if "." in literal)
            plain = [literal for literal in literals if "." not in literal]
            if plain:
                targets.add(plain[0])
    return actions, targets


def test_every_recorded_action_and_target_type_has_a_label():
    actions, targets = _recorded_codes()
    # The scan found the calls, the two branches of a conditional action among them.
    assert len(actions) > 50 and {"user.enabled", "user.disabled", "post.rejected"} <= actions
    assert {"user", "unit", "quiz", "allowlist"} <= targets
    assert sorted(actions - set(ACTION_LABELS)) == []
    assert sorted(targets - set(TARGET_LABELS)) == []


def test_unknown_codes_fall_back_to_themselves(ctx):
    assert action_label("future.thing") == "future.thing"
    assert target_label("future_thing") == "future_thing"
    assert action_label("user.unlocked") != "user.unlocked"


def _english_admin(session):
    world = build_world(session)
    world.admin.locale = "en"
    return world


def test_the_log_shows_labels_readable_values_and_named_targets(auth, session, clock):
    world = _english_admin(session)
    record(
        session,
        world.admin,
        "quiz.override_saved",
        "user",
        world.member_b.id,
        now=clock(),
        before={"note": "评审"},
        after={"note": "评审通过"},
    )
    record(session, world.admin, "unit.updated", "unit", world.branch_a.id, now=clock())
    record(session, None, "future.thing", "gadget", 7, now=clock())
    session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/audit").get_data(as_text=True)
    assert "Exam exception saved" in page
    assert 'title="quiz.override_saved"' in page
    assert "评审通过" in page and "\\u8bc4" not in page
    assert "<details" in page
    assert f'<a href="/admin/users/{world.member_b.id}">{world.member_b.display_name}</a>' in page
    assert f'<a href="/units/{world.branch_a.id}">{world.branch_a.name}</a>' in page
    assert "future.thing" in page and "gadget #7" in page
    # The object-type filter offers the types present, by name.
    assert re.search(r'<option value="unit"\s*>Party organisation</option>', page)
    assert re.search(r'<option value="user"\s*>Account</option>', page)


def test_the_log_filters_by_who_and_by_target_type(auth, session, clock):
    world = _english_admin(session)
    helper = make_user(session, username="helper", display_name="张助理")
    record(session, helper, "unit.updated", "unit", world.branch_a.id, now=clock())
    record(session, world.admin, "user.disabled", "user", world.member_b.id, now=clock())
    session.commit()
    auth.login("admin")

    def rows(query):
        page = auth.client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return page.split('data-testid="audit-table"')[1].count('data-testid="audit-target"')

    assert rows("") == 2
    assert rows("who=助理") == 1
    assert rows("who=helper") == 1
    assert rows("who=nobody") == 0
    assert rows("target_type=user") == 1
    assert rows("who=helper&target_type=user") == 0


def test_the_export_is_formula_safe_filtered_and_itself_audited(auth, session, clock):
    world = _english_admin(session)
    target = make_user(session, username="sly", display_name="=HYPERLINK(1)")
    record(session, world.admin, "user.disabled", "user", target.id, now=clock())
    record(session, world.admin, "unit.updated", "unit", world.branch_a.id, now=clock())
    session.commit()
    auth.login("admin")
    response = auth.client.get("/admin/audit/export.csv?target_type=user")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2  # header and the one user entry
    assert "'=HYPERLINK(1)" in rows[1]
    assert "user.disabled" in rows[1]
    session.expire_all()
    exported = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "audit.exported"))
    assert exported.actor_id == world.admin.id
    assert exported.after == {"filters": {"target_type": "user"}, "rows": 1}


def test_the_audit_pages_are_for_admins_only(auth, session):
    build_world(session)
    auth.login("seca")
    assert auth.client.get("/admin/audit").status_code in (403, 404)
    assert auth.client.get("/admin/audit/export.csv").status_code in (403, 404)


def test_a_deleted_unit_is_named_from_its_recorded_state_in_the_log_and_the_export(
    auth, session, clock
):
    world = _english_admin(session)
    gone = make_unit(session, parent=world.branch_b, name="已撤销小组", kind=world.group_a.kind)
    session.commit()
    auth.login("admin")
    assert auth.post(f"/units/{gone.id}/delete").status_code == 302
    page = auth.client.get("/admin/audit?target_type=unit").get_data(as_text=True)
    target = page[page.index('data-testid="audit-target"') :]
    target = target[: target.index("</td>")]
    assert "已撤销小组" in target and 'data-testid="audit-target-gone"' in target
    assert f"/units/{gone.id}" not in target  # no link to a page that is gone
    response = auth.client.get("/admin/audit/export.csv?target_type=unit")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][7] == "Target name"
    assert rows[1][7] == "已撤销小组 (deleted)"


def test_a_unit_that_still_exists_is_linked_by_its_present_name(auth, session, clock):
    world = _english_admin(session)
    record(
        session,
        world.admin,
        "unit.updated",
        "unit",
        world.branch_a.id,
        now=clock(),
        before={"name": "旧名"},
    )
    session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/audit").get_data(as_text=True)
    assert f'<a href="/units/{world.branch_a.id}">甲支部</a>' in page
    assert "旧名 " not in page.split('data-testid="audit-target"', 1)[1].split("</td>", 1)[0]


def _details(page: str) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(r'<pre class="audit-json">(.*?)</pre>', page, re.S)
    ]


def _targets(page: str) -> list[str]:
    cells = re.findall(r'data-testid="audit-target">(.*?)</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_assessment_periods_and_point_items_are_named_not_numbered(app, auth, session, clock):
    world = _english_admin(session)
    with app.test_request_context():
        period = new_period(session, world, year=2025)
    item = PointItem(
        period_id=period.id,
        member_id=world.member_a.id,
        kind=PointKind.BONUS,
        points=Decimal("2"),
        reason="志愿服务",
        evidence="证明",
        state=PointState.PENDING,
        proposed_by_id=world.secretary_a.id,
        created_at=clock(),
    )
    session.add(item)
    session.flush()
    record(
        session,
        world.admin,
        "assessment.points_decide",
        "assessment_point_item",
        item.id,
        now=clock(),
    )
    record(session, world.admin, "assessment.period_delete", "assessment_period", 999, now=clock())
    session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/audit").get_data(as_text=True)
    targets = _targets(page)
    assert f"Assessment point item {world.member_a.display_name} · 2025" in targets
    assert "Assessment period 2025 · 甲支部" in targets
    # A period gone since, whose entries recorded no name, keeps its id.
    assert "Assessment period #999" in targets
    rows = list(
        csv.reader(
            io.StringIO(auth.client.get("/admin/audit/export.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert "2025 · 甲支部" in [row[7] for row in rows]


def test_unit_ids_in_the_details_read_as_unit_names(auth, session, clock):
    world = _english_admin(session)
    gone = make_unit(session, parent=world.branch_b, name="已撤销小组", kind=world.group_a.kind)
    session.commit()
    auth.login("admin")
    assert auth.post(f"/units/{gone.id}/delete").status_code == 302
    move_member(
        session, world.admin, world.member_a, world.branch_b, reason="工作调动", now=clock()
    )
    record(
        session,
        world.admin,
        "role.revoked",
        "user",
        world.member_b.id,
        now=clock(),
        before={"role": "secretary", "unit_id": gone.id},
    )
    record(
        session,
        world.admin,
        "role.revoked",
        "user",
        world.member_b.id,
        now=clock(),
        before={"role": "secretary", "unit_id": 9999},
    )
    session.commit()
    page = auth.client.get("/admin/audit?action=member.moved").get_data(as_text=True)
    before, after = _details(page)
    assert json.loads(before) == {"unit_id": "甲第一党小组"}
    assert json.loads(after) == {"unit_id": "乙支部"}
    page = auth.client.get("/admin/audit?action=role.revoked").get_data(as_text=True)
    # Newest first: an id nothing names stays a number; a deleted unit keeps its recorded name.
    unknown, deleted = (json.loads(text) for text in _details(page))
    assert unknown["unit_id"] == 9999
    assert deleted["unit_id"] == "已撤销小组 (deleted)"
    rows = list(
        csv.reader(
            io.StringIO(
                auth.client.get("/admin/audit/export.csv?action=member.moved")
                .get_data()
                .decode("utf-8-sig")
            )
        )
    )
    assert json.loads(rows[1][9]) == {"unit_id": "乙支部"}


def test_the_date_filters_say_which_is_the_start_and_which_the_end(auth, session):
    build_world(session)
    auth.login("admin")
    page = auth.client.get("/admin/audit?since=2025-01-01&until=2025-01-31").text
    since = re.search(r'<label[^>]*for="audit-since"[^>]*>(.*?)</label>', page)
    until = re.search(r'<label[^>]*for="audit-until"[^>]*>(.*?)</label>', page)
    assert since and since.group(1) == "开始日期"
    assert until and until.group(1) == "结束日期"
    assert re.search(r'<input[^>]*id="audit-since"[^>]*name="since" value="2025-01-01"', page)
    assert re.search(r'<input[^>]*id="audit-until"[^>]*name="until" value="2025-01-31"', page)


def test_the_export_names_every_target_as_the_page_does(auth, session, clock):
    world = build_world(session)
    record(session, world.admin, "question.approved", "question", 47, now=clock())
    record(session, world.admin, "user.disabled", "user", world.member_b.id, now=clock())
    record(session, world.admin, "bank.created", "question_bank", 9999, now=clock())
    record(session, world.admin, "audit.exported", "audit_log", "-", now=clock())
    session.commit()
    auth.login("admin")
    targets = _targets(auth.client.get("/admin/audit").text)
    assert targets == [
        "审计日志",
        "题库 #9999",
        f"账号 {world.member_b.display_name}",
        "试题 #47",
    ]
    rows = list(
        csv.reader(io.StringIO(auth.client.get("/admin/audit/export.csv").text.lstrip("\ufeff")))
    )
    assert rows[0][5:8] == ["操作对象", "对象编号", "对象名称"]
    named = {(row[5], row[6]): row[7] for row in rows[1:]}
    assert named[("试题", "47")] == "#47"
    assert named[("账号", str(world.member_b.id))] == world.member_b.display_name
    assert named[("题库", "9999")] == "#9999"
    # An entry with no object id is named by its type alone, on both.
    assert [row[7] for row in rows if row[5] == "审计日志"] == [""]
