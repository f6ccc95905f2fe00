"""The 学时统计 summary by unit: the rows of the dashboards of the exported unit and the units
below it (each unit with the units below it, "directly in" lines, the total), named by their
path, in tree order; bold aggregates in the workbook, a column saying what each line covers in
both formats."""

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
    UnitNode,
    lines_for,
    summary_lines,
)
from learnapp.hours.models import HoursCategory
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


class TestLinesFor:
    UNITS = {
        1: UnitNode(1, "/1/", "党委", True),
        2: UnitNode(2, "/1/2/", "第一党总支", True),
        3: UnitNode(3, "/1/2/3/", "一支部", True),
        7: UnitNode(7, "/1/2/3/7/", "第一党小组", True),
        4: UnitNode(4, "/1/2/4/", "二支部", True),
        11: UnitNode(11, "/1/2/4/11/", "第一党小组", True),
        5: UnitNode(5, "/1/5/", "直属支部", True),
        6: UnitNode(6, "/1/6/", "撤销支部", False),
    }

    def test_each_unit_covers_its_subtree_with_direct_lines_and_the_total_last(self):
        tallies = {
            1: _tally(done=1, hours="40"),
            3: _tally(done=2, behind=1, hours="70"),
            7: _tally(behind=1, hours="3"),
            11: _tally(exempt=1, hours="1"),
            5: _tally(done=1, hours="33"),
            6: _tally(behind=2, hours="10"),  # a deactivated unit with members of the year
        }
        lines = lines_for(self.UNITS, 1, tallies)
        assert [(line.kind, line.name) for line in lines] == [
            (LineKind.WITH_UNITS_BELOW, "第一党总支"),
            (LineKind.WITH_UNITS_BELOW, "第一党总支 / 一支部"),
            (LineKind.UNIT, "第一党总支 / 一支部 / 第一党小组"),
            (LineKind.DIRECT, "第一党总支 / 一支部"),
            (LineKind.WITH_UNITS_BELOW, "第一党总支 / 二支部"),
            (LineKind.UNIT, "第一党总支 / 二支部 / 第一党小组"),
            (LineKind.UNIT, "直属支部"),
            (LineKind.UNIT, "撤销支部"),  # listed, never counted as directly in the 党委
            (LineKind.DIRECT, "党委"),
            (LineKind.TOTAL, ""),
        ]
        general, branch, group, direct = (line.tally for line in lines[:4])
        assert (general.members, general.with_target, general.counts[Status.DONE]) == (5, 4, 2)
        assert general.hours == Decimal("74") and general.average_hours == Decimal("14.80")
        assert (branch.members, group.members, direct.members) == (4, 1, 3)
        assert lines[4].tally.members == 1  # 二支部 has no direct members: no direct line
        assert lines[7].tally.members == 2 and lines[7].tally.counts[Status.BEHIND] == 2
        assert lines[8].tally.members == 1 and lines[8].tally.counts[Status.DONE] == 1
        total = lines[-1].tally
        assert (total.members, total.counts[Status.BEHIND], total.hours) == (9, 4, Decimal("157"))

    def test_a_unit_without_units_below_is_its_lines_alone(self):
        units = {3: self.UNITS[3], 7: self.UNITS[7]}
        assert lines_for(units, 7, {7: _tally(done=1)}) == [
            SummaryLine(LineKind.TOTAL, "", _tally(done=1))
        ]
        lines = lines_for(units, 3, {})
        assert [(line.kind, line.name, line.tally.members) for line in lines] == [
            (LineKind.UNIT, "第一党小组", 0),  # listed, as on the dashboard, with no member
            (LineKind.TOTAL, "", 0),
        ]


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
        _credit(session, world.member_a, "6", HoursCategory.COLLECTIVE)
    session.commit()
    return world, second


def _same(tally: Tally, other: Tally) -> None:
    assert tally.counts == other.counts
    assert (tally.members, tally.with_target) == (other.members, other.with_target)
    assert tally.completion == other.completion
    assert tally.average_hours == other.average_hours


def _label(unit, top) -> str:
    """A unit's path below `top`, as the summary names it."""
    names = []
    while unit is not None and unit.id != top.id:
        names.append(unit.name)
        unit = unit.parent
    return " / ".join(reversed(names)) if names else top.name


def _subtree(unit) -> list:
    return [unit, *(u for child in unit.children if child.is_active for u in _subtree(child))]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(member_category=MemberCategory.FULL),
        Filters(hours_category=HoursCategory.COLLECTIVE),
    ],
    ids=["all", "full", "collective"],
)
def test_every_line_is_the_row_the_dashboards_show(session, app, filters):
    world, _second = _organisation(session, app)
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        lines = summary_lines(session, world.root, frame, filters)
        views = {u.id: overview(session, u, frame, filters) for u in _subtree(world.root)}
    below = {u.id: u for u in _subtree(world.root) if u.id != world.root.id}
    by_label = {_label(u, world.root): u for u in below.values()}
    for line in lines:
        if line.kind == LineKind.TOTAL:
            _same(line.tally, views[world.root.id].total)
        elif line.kind == LineKind.DIRECT:
            unit = by_label.get(line.name, world.root)
            _same(line.tally, views[unit.id].direct)
            assert views[unit.id].children  # only a unit with units below has one
        else:
            unit = by_label[line.name]
            (row,) = [r for r in views[unit.parent_id].children if r.unit.id == unit.id]
            _same(line.tally, row.tally)
            assert (line.kind == LineKind.WITH_UNITS_BELOW) == bool(views[unit.id].children)
    # Every unit once, the branch of a 党总支 named with it, and the total last.
    named = [line.name for line in lines if line.kind in (LineKind.UNIT, LineKind.WITH_UNITS_BELOW)]
    assert sorted(named) == sorted(by_label)
    assert "测试党总支 / 甲支部 / 甲第一党小组" in named
    assert [line.kind for line in lines].count(LineKind.TOTAL) == 1
    assert lines[-1].kind == LineKind.TOTAL
    # Tree order: a unit's subtree is the run of lines right after it.
    for unit in below.values():
        at = named.index(_label(unit, world.root))
        inside = {_label(u, world.root) for u in _subtree(unit)}
        assert set(named[at : at + len(inside)]) == inside


def test_a_branch_summary_counts_the_branch_with_its_groups(session, app):
    """The line that named a branch with its direct members alone (5 of 16) is gone: its
    direct members say so, and the total is the branch's dashboard figure."""
    world, _second = _organisation(session, app)
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        lines = summary_lines(session, world.branch_a, frame, Filters())
        view = overview(session, world.branch_a, frame, Filters())
    assert [(line.kind, line.name) for line in lines] == [
        (LineKind.UNIT, world.group_a.name),
        (LineKind.DIRECT, world.branch_a.name),
        (LineKind.TOTAL, ""),
    ]
    _same(lines[1].tally, view.direct)
    _same(lines[-1].tally, view.total)
    assert lines[-1].tally.members == 3  # member_a in the group, gsec and seca directly


def _summary_sheet(response):
    workbook = load_workbook(io.BytesIO(response.data))
    return workbook.worksheets[1]


def test_the_workbook_names_units_by_path_and_sets_aggregates_in_bold(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")
    response = auth.post(f"/completion/units/{world.root.id}/export.xlsx", {"year": "2026"})
    assert response.status_code == 200
    sheet = _summary_sheet(response)
    assert [cell.value for cell in sheet[2]][:3] == ["Unit", "Covers", "Members"]
    rows = list(sheet.iter_rows(min_row=3))
    bold = {row[0].value: [c.value for c in row] for row in rows if row[0].font.b}
    plain = {row[0].value: [c.value for c in row] for row in rows if not row[0].font.b}
    assert set(bold) == {"测试党总支", "'=第二党总支", "测试党总支 / 甲支部", "Total"}
    assert all(cell.font.b for row in rows if row[0].value in bold for cell in row)
    assert rows[-1][0].value == "Total" and sheet.cell(rows[-1][0].row, 1).data_type == "s"
    assert {
        "测试党总支 / 甲支部 / 甲第一党小组",
        "Directly in 测试党总支 / 甲支部",
        "Directly in 测试党总支",
        "Directly in 测试党委",
        "'=第二党总支 / 丙支部",
        "直属党支部",
    } <= set(plain)
    assert plain["Directly in 测试党委"][1] == "Members directly in the unit, in no unit below it"
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        view = overview(session, world.root, frame, Filters())
    general = next(r.tally for r in view.children if r.unit.id == world.general.id)
    # Unit, covers, members, done, behind, exempt, no requirement, completion, average hours.
    assert bold["测试党总支"][1] == "Members of the unit and of every unit below it"
    assert bold["测试党总支"][2] == general.members
    assert bold["测试党总支"][3] == general.counts[Status.DONE]
    assert bold["测试党总支"][-2] == pytest.approx(round(general.completion, 4))
    assert bold["测试党总支"][-1] == float(general.average_hours)
    assert bold["Total"][2] == view.total.members
    completion = next(row for row in rows if row[0].value == "Total")[-2]
    assert completion.number_format == "0.0%"


def test_the_summary_csv_says_what_each_line_covers_and_is_audited(session, auth, app):
    world, _second = _organisation(session, app)
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")
    url = f"/completion/units/{world.root.id}/summary.csv"
    response = auth.post(url, {"year": "2026"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="completion-summary-{world.root.id}-2026.csv"' in disposition
    assert "filename*=UTF-8''%E5%AD%A6%E6%97%B6%E6%B1%87%E6%80%BB-" in disposition  # 学时汇总
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert world.general_secretary.display_name not in rows[0][1]  # the admin's stamp
    assert "Filters: none" in rows[0][3]
    assert rows[1][:3] == ["Unit", "Covers", "Members"]
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Total"][1] == "Members of every unit exported"
    assert by_name["测试党总支"][1] == "Members of the unit and of every unit below it"
    assert by_name["测试党总支 / 乙支部"][1] == "Members of the unit"
    with app.test_request_context():
        frame = Frame.of(session, 2026, FIXED_NOW)
        view = overview(session, world.root, frame, Filters())
    assert by_name["Total"][2] == str(view.total.members)
    assert by_name["Total"][-2] == f"{view.total.completion * 100:.1f}%"
    session.rollback()
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "completion.exported"))
    assert entry.after["format"] == "summary_csv" and entry.actor_id == world.admin.id


def test_the_summary_says_a_units_line_counts_all_its_members_not_only_party_members(
    session, auth, app
):
    """A party group's line counts its 群众 and 发展对象 with its party members, in the members
    and the average hours: the line says members (成员), as the dashboard does, in both
    formats."""
    world, _second = _organisation(session, app)
    make_user(session, unit=world.group_a, category=MemberCategory.MASSES)
    make_user(session, unit=world.group_a, category=MemberCategory.CANDIDATE)
    session.commit()
    auth.login("admin")
    response = auth.post(f"/completion/units/{world.root.id}/export.xlsx", {"year": "2026"})
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[1]
    assert sheet.title == "按组织汇总"
    header = [cell.value for cell in sheet[2]]
    covers, members, average = (
        header.index("统计范围"),
        header.index("成员"),
        header.index("人均学时"),
    )
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    group = rows["测试党总支 / 甲支部 / 甲第一党小组"]
    # member_a (预备党员, 46 学时) with the 群众 and the 发展对象 (none).
    assert (group[covers], group[members], group[average]) == ("本组织成员", 3, 15.33)
    assert rows["测试党总支"][covers] == "本组织及全部下级组织的成员"
    assert rows["测试党委直属成员"][covers] == "直属本组织、不在下级组织的成员"
    assert rows["合计"][covers] == "导出范围内全部组织的成员"
    assert not any("党员" in row[covers] for row in rows.values())
    # The summary CSV says the same.
    response = auth.post(f"/completion/units/{world.root.id}/summary.csv", {"year": "2026"})
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_name = {line[0]: line for line in lines[2:]}
    assert by_name["测试党总支 / 甲支部 / 甲第一党小组"][1:3] == ["本组织成员", "3"]
    assert [line[1] for line in lines[2:]] == [row[covers] for row in rows.values()]


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
    # member_a alone, in 甲第一党小组: every line holding them says 1, the others 0.
    members = {row[0]: row[2] for row in rows[2:]}
    assert members == {
        "甲支部": "1",
        "甲支部 / 甲第一党小组": "1",
        "乙支部": "0",
        "丁支部": "0",
        "合计": "1",
    }
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


def test_the_exports_cover_the_year_the_form_posts_and_no_year_without_data(session, auth, app):
    world, _second = _organisation(session, app)
    world.member_b.created_at = FIXED_NOW.replace(year=2025)  # the platform's data begin in 2025
    session.commit()
    auth.login("gsec")
    auth.client.set_cookie(LANG_COOKIE, "en")
    for route in ("export.csv", "summary.csv"):
        url = f"/completion/units/{world.general.id}/{route}"
        past = auth.post(url, {"year": "2025"}).get_data().decode("utf-8-sig")
        assert past.splitlines()[0].startswith("Study hours 2025")
        current = auth.post(url, {}).get_data().decode("utf-8-sig")
        assert current.splitlines()[0].startswith("Study hours 2026")
        assert auth.post(url, {"year": "2024"}).status_code == 404
