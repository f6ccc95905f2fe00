"""The audit log as an administrator reads it: labels, readable values, names, filters, export."""

import csv
import io
import pathlib
import re

import sqlalchemy as sa

import learnapp
from learnapp.audit.labels import ACTION_LABELS, TARGET_LABELS, action_label, target_label
from learnapp.audit.models import AuditEntry
from learnapp.audit.services import record
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
