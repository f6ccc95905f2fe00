"""The completion dashboard, drill-down and exports: scope, filters, files and the audit log."""

import csv
import io
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.audit.models import AuditEntry
from learnapp.completion import export
from learnapp.completion.progress import Progress
from learnapp.completion.progress import read as read_progress
from learnapp.completion.queries import Filters, Frame, overview
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import ensure_default_rule_set
from learnapp.orgs.models import Role
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

_IDS = iter(range(1, 1_000_000))


def _credit(session, member, hours, category=HoursCategory.ONLINE):
    rule_set = ensure_default_rule_set(session, FIXED_NOW)
    session.execute(
        sa.insert(LedgerEntry).values(
            member_id=member.id,
            category=category,
            source_type=SourceType.CLAIM,
            source_id=str(next(_IDS)),
            verified_seconds=0,
            hours=Decimal(hours),
            nominal_hours=Decimal(hours),
            rule_set_id=rule_set.id,
            credited_on=date(2026, 1, 5),
            year=2026,
            status=EntryStatus.CREDITED,
            created_at=FIXED_NOW,
            note="学习党章第一章",
        )
    )


def _world(session, app):
    world = build_world(session)
    with app.app_context():
        _credit(session, world.member_a, "40")  # done
        _credit(session, world.member_b, "1")  # behind
    session.commit()
    return world


def test_a_secretary_sees_the_branch_and_drills_into_a_member(session, auth, app):
    world = _world(session, app)
    auth.login("seca")
    assert auth.client.get("/completion/").status_code == 302
    page = auth.client.get(f"/completion/units/{world.branch_a.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert world.member_a.display_name in text
    assert world.member_b.display_name not in text  # another branch: never named here
    assert 'data-chart="status"' in text
    member = auth.client.get(f"/completion/members/{world.member_a.id}")
    assert member.status_code == 200
    assert "学习党章第一章" in member.get_data(as_text=True)


def test_the_unit_above_sees_completion_by_unit(session, auth, app):
    world = _world(session, app)
    auth.login("gsec")
    text = auth.client.get(f"/completion/units/{world.general.id}").get_data(as_text=True)
    assert f'data-testid="unit-row-{world.branch_a.id}"' in text
    assert f'data-testid="unit-row-{world.branch_b.id}"' in text
    members = auth.client.get(
        f"/completion/units/{world.general.id}/members?status=behind"
    ).get_data(as_text=True)
    assert world.member_b.display_name in members
    assert world.member_a.display_name not in members


def test_filters_narrow_the_counts_and_bad_filters_are_refused(session, auth, app):
    world = _world(session, app)
    auth.login("gsec")
    url = f"/completion/units/{world.general.id}"
    text = auth.client.get(f"{url}?member_category=probationary").get_data(as_text=True)
    assert 'data-testid="count-done">1<' in text and 'data-testid="count-behind">0<' in text
    assert auth.client.get(f"{url}?category=collective").status_code == 200
    assert auth.client.get(f"{url}?category=bogus").status_code == 400
    assert auth.client.get(f"{url}?year=1999").status_code == 404


def test_dashboards_are_refused_to_members_and_outside_scope(session, auth, app):
    world = _world(session, app)
    auth.login("memb")
    assert auth.client.get(f"/completion/units/{world.branch_b.id}").status_code == 403
    assert auth.client.get(f"/completion/members/{world.member_b.id}").status_code == 403
    assert auth.post(f"/completion/units/{world.branch_b.id}/export.xlsx").status_code == 403
    auth.logout()
    auth.login("seca")
    assert auth.client.get(f"/completion/units/{world.branch_b.id}").status_code == 404
    assert auth.client.get(f"/completion/units/{world.general.id}").status_code == 404
    assert auth.client.get(f"/completion/members/{world.member_b.id}").status_code == 404
    assert auth.post(f"/completion/units/{world.branch_b.id}/export.csv").status_code == 404
    assert auth.client.get(f"/completion/units/{world.branch_a.id}/export.csv").status_code == 405


def test_the_workbook_has_members_a_unit_summary_a_stamp_and_is_audited(session, auth, app):
    world = _world(session, app)
    make_user(session, unit=world.branch_a, display_name="=HYPERLINK(1)")
    session.commit()
    auth.login("gsec")
    response = auth.post(f"/completion/units/{world.general.id}/export.xlsx", {"year": "2026"})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    members, summary = workbook.worksheets
    rows = [list(r) for r in members.iter_rows(values_only=True)]
    assert any(world.general_secretary.display_name in str(c) for c in rows[0])
    assert any("2026-03-10" in str(c) for c in rows[0])
    names = [r[1] for r in rows[2:]]
    assert world.member_a.display_name in names and world.member_b.display_name in names
    assert "'=HYPERLINK(1)" in names  # formula-safe
    row_a = rows[2 + names.index(world.member_a.display_name)]
    assert 40.0 in row_a and 32.0 in row_a
    units = [r[0] for r in summary.iter_rows(min_row=3, values_only=True)]
    assert world.branch_a.name in units and world.branch_b.name in units
    workbook.close()
    session.rollback()
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "completion.exported"))
    assert entry.actor_id == world.general_secretary.id and entry.after["format"] == "xlsx"


def test_the_csv_is_formula_safe_and_stamped(session, auth, app):
    world = _world(session, app)
    make_user(session, unit=world.branch_a, display_name="+cmd")
    session.commit()
    auth.login("seca")
    response = auth.post(f"/completion/units/{world.branch_a.id}/export.csv", {"year": "2026"})
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert world.secretary_a.display_name in rows[0][1]
    assert "'+cmd" in [r[1] for r in rows[2:]]
    assert world.member_b.display_name not in text


def test_names_in_breadcrumbs_stop_at_the_scope(session, auth, app):
    world = _world(session, app)
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    session.commit()
    auth.login("secb")
    text = auth.client.get(f"/completion/units/{world.branch_b.id}").get_data(as_text=True)
    assert world.general.name not in text and world.branch_a.name not in text


def test_the_workbook_export_reports_its_progress_to_its_owner_only(session, auth, app):
    world = _world(session, app)
    token = "ab" * 16
    with app.test_request_context():
        progress = Progress(token, world.general_secretary.id)
        progress.write(1000)
        assert read_progress(token, world.general_secretary.id) == {"rows": 1000, "stage": "rows"}
        assert read_progress(token, world.secretary_a.id) is None
        assert read_progress("../../etc/passwd", world.general_secretary.id) is None
    auth.login("seca")
    assert auth.client.get(f"/completion/exports/{token}/progress").status_code == 404
    auth.logout()
    auth.login("gsec")
    state = auth.client.get(f"/completion/exports/{token}/progress")
    assert state.status_code == 200 and state.json == {"rows": 1000, "stage": "rows"}
    response = auth.post(
        f"/completion/units/{world.general.id}/export.xlsx", {"year": "2026", "progress": token}
    )
    assert response.status_code == 200 and response.data[:2] == b"PK"
    # The download has ended: the progress file is gone.
    assert auth.client.get(f"/completion/exports/{token}/progress").status_code == 404


def test_the_workbook_counts_its_rows_as_it_writes_them(session, app, monkeypatch):
    world = _world(session, app)
    monkeypatch.setattr(export, "PROGRESS_EVERY", 2)
    heard = []

    class Recorder:
        def write(self, rows, stage="rows"):
            heard.append((rows, stage))

    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        members = overview(session, world.general, frame, Filters()).total.members
        handle = export.write_workbook(
            session, world.general, frame, Filters(), world.admin, FIXED_NOW, Recorder()
        )
        handle.close()
    assert heard[-1] == (members, "saving")
    assert [rows for rows, _stage in heard[:-1]] == list(range(2, members + 1, 2))
