"""The 学时统计 summary by unit: a subtotal after the units of each 党总支, a grand total over a
党委, both agreeing with the dashboard; bold in the workbook, marked in a column in CSV; a
branch's export as it was."""

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.audit.models import AuditEntry
from learnapp.completion.queries import Filters, Frame, Tally, overview
from learnapp.completion.status import Status
from learnapp.completion.summary import (
    LineKind,
    SummaryLine,
    UnitLine,
    merged,
    summary_lines,
    with_subtotals,
)
from learnapp.orgs.models import MemberCategory, UnitKind
from learnapp.web import LANG_COOKIE
from tests.completion.test_views import _credit
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.world import build_world


def _tally(done=0, behind=0, exempt=0, hours="0") -> Tally:
    tally = Tally()
    tally.add(Status.DONE, done, 0)
    tally.add(Status.BEHIND, behind, 0)
    tally.add(Status.EXEMPT, exempt, hours)
    return tally


class TestWithSubtotals:
    def test_each_general_branch_run_is_followed_by_its_subtotal_then_the_total(self):
        units = [
            UnitLine("/1/", "党委机关", _tally(done=1, hours="40")),
            UnitLine("/1/2/3/", "一支部", _tally(done=2, behind=1, hours="70")),
            UnitLine("/1/2/3/7/", "一支部第一党小组", _tally(behind=1, hours="3")),
            UnitLine("/1/2/4/", "二支部", _tally(exempt=1, hours="1")),
            UnitLine("/1/5/", "直属支部", _tally(done=1, hours="33")),
            UnitLine("/1/6/8/", "三支部", _tally(behind=2, hours="10")),
        ]
        generals = {"/1/2/": "第一党总支", "/1/6/": "第二党总支"}
        lines = with_subtotals(units, generals, total=True)
        assert [(line.kind, line.name) for line in lines] == [
            (LineKind.UNIT, "党委机关"),
            (LineKind.UNIT, "一支部"),
            (LineKind.UNIT, "一支部第一党小组"),
            (LineKind.UNIT, "二支部"),
            (LineKind.SUBTOTAL, "第一党总支"),
            (LineKind.UNIT, "直属支部"),
            (LineKind.UNIT, "三支部"),
            (LineKind.SUBTOTAL, "第二党总支"),
            (LineKind.TOTAL, ""),
        ]
        first = lines[4].tally
        assert (first.members, first.with_target, first.counts[Status.DONE]) == (5, 4, 2)
        assert first.hours == Decimal("74") and first.average_hours == Decimal("14.80")
        assert first.completion == 0.5
        total = lines[-1].tally
        assert (total.members, total.counts[Status.BEHIND], total.hours) == (9, 4, Decimal("157"))

    def test_without_a_general_branch_only_the_total_is_added_and_a_branch_gets_neither(self):
        units = [UnitLine("/1/", "支部", _tally(done=1)), UnitLine("/1/2/", "小组", _tally())]
        assert [line.kind for line in with_subtotals(units, {}, total=True)] == [
            LineKind.UNIT,
            LineKind.UNIT,
            LineKind.TOTAL,
        ]
        assert with_subtotals(units, {}, total=False) == [
            SummaryLine(LineKind.UNIT, u.name, u.tally) for u in units
        ]
        assert with_subtotals([], {"/1/2/": "总支"}, total=False) == []

    def test_merging_adds_counts_and_hours(self):
        both = merged([_tally(done=1, hours="2.5"), _tally(behind=2, exempt=1, hours="1")])
        assert both.counts[Status.DONE] == 1 and both.counts[Status.BEHIND] == 2
        assert (both.members, both.with_target, both.hours) == (4, 3, Decimal("3.5"))
        assert merged([]).members == 0


def _organisation(session, app):
    """build_world's 党委 with a second 党总支, a branch made under the first 党总支 after it
    (so ids and tree order differ), a branch directly under the 党委 and members in each."""
    world = build_world(session)
    second = make_unit(session, parent=world.root, name="=第二党总支", kind=UnitKind.GENERAL_BRANCH)
    branch_c = make_unit(session, parent=second, name="丙支部")
    branch_d = make_unit(session, parent=world.general, name="丁支部")
    direct = make_unit(session, parent=world.root, name="直属党支部")
    people = {
        "c1": make_user(session, unit=branch_c),
        "c2": make_user(session, unit=branch_c, is_elderly_exempt=True),
        "d1": make_user(session, unit=branch_d),
        "e1": make_user(session, unit=direct),
        "e2": make_user(session, unit=direct, category=MemberCategory.ACTIVIST),
        "r1": make_user(session, unit=world.root),
        "g1": make_user(session, unit=world.general),
    }
    with app.app_context():
        for member, hours in (
            (world.member_a, "40"),
            (world.member_b, "1"),
            (people["c1"], "33"),
            (people["d1"], "10"),
            (people["e1"], "32.5"),
            (people["r1"], "5"),
            (people["g1"], "2"),
        ):
            _credit(session, member, hours)
    session.commit()
    return world, second


def _same(tally: Tally, other: Tally) -> None:
    assert tally.counts == other.counts
    assert (tally.members, tally.with_target) == (other.members, other.with_target)
    assert tally.completion == other.completion
    assert tally.average_hours == other.average_hours


@pytest.mark.parametrize(
    "filters", [Filters(), Filters(member_category=MemberCategory.FULL)], ids=["all", "full"]
)
def test_subtotals_and_the_total_agree_with_the_dashboard(session, app, filters):
    world, second = _organisation(session, app)
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        lines = summary_lines(session, world.root, frame, filters)
        view = overview(session, world.root, frame, filters)
        below = overview(session, world.general, frame, filters)
    subtotals = {line.name: line.tally for line in lines if line.kind == LineKind.SUBTOTAL}
    assert set(subtotals) == {world.general.name, second.name}
    for row in view.children:
        if row.unit.kind == UnitKind.GENERAL_BRANCH:
            _same(subtotals[row.unit.name], row.tally)
    _same(subtotals[world.general.name], below.total)
    assert [line.kind for line in lines].count(LineKind.TOTAL) == 1
    assert lines[-1].kind == LineKind.TOTAL
    _same(lines[-1].tally, view.total)
    # Each 党总支's units are one run, right before its subtotal, whatever the unit ids.
    for general in (world.general, second):
        names = {u.name for u in (general, *general.children) for u in (u, *u.children)}
        at = [
            i for i, line in enumerate(lines) if line.kind == LineKind.UNIT and line.name in names
        ]
        assert at == list(range(at[0], at[-1] + 1))
        assert (lines[at[-1] + 1].kind, lines[at[-1] + 1].name) == (LineKind.SUBTOTAL, general.name)


def test_a_branch_summary_has_no_subtotal_or_total(session, app):
    world, _second = _organisation(session, app)
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        lines = summary_lines(session, world.branch_a, frame, Filters())
        general = summary_lines(session, world.general, frame, Filters())
    assert {line.kind for line in lines} == {LineKind.UNIT}
    assert {line.name for line in lines} == {world.branch_a.name, world.group_a.name}
    # A 党总支's own export: its branches and a total, no subtotal of itself.
    assert [line.kind for line in general].count(LineKind.SUBTOTAL) == 0
    assert general[-1].kind == LineKind.TOTAL


def _summary_sheet(response):
    workbook = load_workbook(io.BytesIO(response.data))
    return workbook.worksheets[1]


def test_the_workbook_sets_subtotals_and_the_total_in_bold(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")
    response = auth.post(f"/completion/units/{world.root.id}/export.xlsx", {"year": "2026"})
    assert response.status_code == 200
    sheet = _summary_sheet(response)
    rows = list(sheet.iter_rows(min_row=3))
    bold = {row[0].value: [c.value for c in row] for row in rows if row[0].font.b}
    plain = [row[0].value for row in rows if not row[0].font.b]
    assert set(bold) == {"测试党总支 subtotal", "'=第二党总支 subtotal", "Total"}  # formula-safe
    assert all(cell.font.b for row in rows if row[0].value in bold for cell in row)
    assert rows[-1][0].value == "Total" and sheet.cell(rows[-1][0].row, 1).data_type == "s"
    assert world.branch_a.name in plain and "直属党支部" in plain
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        view = overview(session, world.root, frame, Filters())
    general = next(r.tally for r in view.children if r.unit.id == world.general.id)
    # Members, done, on track, behind, exempt, no requirement, completion, average hours.
    assert bold["测试党总支 subtotal"][1] == general.members
    assert bold["测试党总支 subtotal"][2] == general.counts[Status.DONE]
    assert bold["测试党总支 subtotal"][-2] == pytest.approx(round(general.completion, 4))
    assert bold["测试党总支 subtotal"][-1] == float(general.average_hours)
    assert bold["Total"][1] == view.total.members
    completion = next(row for row in rows if row[0].value == "Total")[-2]
    assert completion.number_format == "0.0%"


def test_a_branch_workbook_is_as_before(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("seca")
    response = auth.post(f"/completion/units/{world.branch_a.id}/export.xlsx", {"year": "2026"})
    rows = list(_summary_sheet(response).iter_rows(min_row=3))
    assert sorted(row[0].value for row in rows) == sorted([world.branch_a.name, world.group_a.name])
    assert not any(cell.font.b for row in rows for cell in row)


def test_the_summary_csv_marks_subtotals_in_a_column_and_is_audited(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")
    url = f"/completion/units/{world.root.id}/summary.csv"
    response = auth.post(url, {"year": "2026"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert world.general_secretary.display_name not in rows[0][1]  # the admin's stamp
    assert rows[1][:3] == ["Row type", "Unit", "Members"]
    marked = {row[1]: row for row in rows[2:] if row[0] != "Unit line"}
    assert {name: row[0] for name, row in marked.items()} == {
        "测试党总支 subtotal": "Subtotal",
        "'=第二党总支 subtotal": "Subtotal",
        "Total": "Total",
    }
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        view = overview(session, world.root, frame, Filters())
    assert marked["Total"][2] == str(view.total.members)
    assert marked["Total"][-2] == f"{view.total.completion * 100:.1f}%"
    units = [row[1] for row in rows[2:] if row[0] == "Unit line"]
    assert world.branch_b.name in units and "直属党支部" in units
    session.rollback()
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "completion.exported"))
    assert entry.after["format"] == "summary_csv" and entry.actor_id == world.admin.id


def test_the_summary_csv_is_for_managers_in_scope_with_valid_filters(session, auth, app):
    world, _second = _organisation(session, app)
    url = f"/completion/units/{world.general.id}/summary.csv"
    auth.login("memb")
    assert auth.post(url, {"year": "2026"}).status_code == 403
    auth.logout()
    auth.login("seca")  # 甲支部's secretary: the 党总支 above is beyond their scope
    assert auth.post(url, {"year": "2026"}).status_code == 404
    auth.logout()
    auth.login("gsec")
    assert auth.client.get(url).status_code == 405
    assert auth.post(url, {"year": "1999"}).status_code == 404
    assert auth.post(url, {"year": "２０２６"}).status_code == 400
    assert auth.post(url, {"year": "2026", "category": "bogus"}).status_code == 400
    response = auth.post(url, {"year": "2026", "member_category": "probationary"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    # member_a alone: 甲第一党小组, then the 党总支's total (no subtotal of the exported unit).
    assert [row[2] for row in rows[2:]] == ["1", "1"]
    session.rollback()
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "completion.exported"))
        == 1
    )


def test_the_dashboard_offers_the_summary_csv_above_the_branches_only(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("gsec")
    above = auth.client.get(f"/completion/units/{world.general.id}").get_data(as_text=True)
    assert 'data-testid="export-summary_csv"' in above
    assert f"/completion/units/{world.general.id}/summary.csv" in above
    branch = auth.client.get(f"/completion/units/{world.branch_a.id}").get_data(as_text=True)
    assert 'data-testid="export-summary_csv"' not in branch
    assert 'data-testid="export-csv"' in branch


def test_the_exports_cover_the_year_the_form_posts(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("gsec")
    auth.client.set_cookie(LANG_COOKIE, "en")
    for route in ("export.csv", "summary.csv"):
        url = f"/completion/units/{world.general.id}/{route}"
        past = auth.post(url, {"year": "2025"}).get_data().decode("utf-8-sig")
        assert past.splitlines()[0].startswith("Study hours 2025")
        current = auth.post(url, {}).get_data().decode("utf-8-sig")
        assert current.splitlines()[0].startswith("Study hours 2026")
