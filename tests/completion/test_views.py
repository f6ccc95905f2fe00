"""The completion dashboard, drill-down and exports: scope, filters, files and the audit log."""

import csv
import html
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.audit.models import AuditEntry
from learnapp.completion import export
from learnapp.completion.labels import status_label
from learnapp.completion.progress import Progress
from learnapp.completion.progress import read as read_progress
from learnapp.completion.queries import Filters, Frame, overview
from learnapp.completion.status import Status
from learnapp.hours.labels import correction_label, entry_subject, hours_category_label
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import credit, ensure_default_rule_set, reverse_entry
from learnapp.orgs.models import MemberCategory, Role, UnitKind
from learnapp.study.queries import LedgerNotes
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.study.factories import make_course, make_lesson
from tests.world import build_world

_IDS = iter(range(1, 1_000_000))
JOINED_2024 = datetime(2024, 5, 1, tzinfo=UTC)


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
    disposition = response.headers["Content-Disposition"]
    assert f'filename="completion-{world.general.id}-2026.xlsx"' in disposition
    assert "filename*=UTF-8''%E5%AD%A6%E6%97%B6%E7%BB%9F%E8%AE%A1-" in disposition  # 学时统计
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
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
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


def _credit_in(session, member, hours, year):
    rule_set = ensure_default_rule_set(session, FIXED_NOW)
    session.execute(
        sa.insert(LedgerEntry).values(
            member_id=member.id,
            category=HoursCategory.ONLINE,
            source_type=SourceType.CLAIM,
            source_id=str(next(_IDS)),
            verified_seconds=0,
            hours=Decimal(hours),
            nominal_hours=Decimal(hours),
            rule_set_id=rule_set.id,
            credited_on=date(year, 6, 1),
            year=year,
            status=EntryStatus.CREDITED,
            created_at=FIXED_NOW,
            note="",
        )
    )


def _chart_data(page: str) -> dict:
    match = re.search(r"data-chart=\"units\" data-chart-data='([^']*)'", page)
    assert match, "no unit chart"
    return json.loads(html.unescape(match.group(1)))


def test_no_requirement_is_not_exempt_and_every_percentage_has_one_base(session, auth, app):
    world = _world(session, app)
    make_user(session, unit=world.branch_a, display_name="老党员", is_elderly_exempt=True)
    make_user(
        session, unit=world.branch_a, display_name="积极分子", category=MemberCategory.ACTIVIST
    )
    make_user(session, unit=world.branch_a, display_name="群众甲", category=MemberCategory.MASSES)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/units/{world.branch_a.id}").get_data(as_text=True)
    assert 'data-testid="count-exempt">1<' in page
    assert 'data-testid="count-not_applicable">2<' in page
    # Only the statuses of members with a target carry a percentage, all of the same base:
    # member_a (done), gsec and seca (behind).
    assert 'data-testid="share-done">33.3%<' in page
    assert 'data-testid="share-behind">66.7%<' in page
    assert 'data-testid="share-exempt"' not in page
    assert 'data-testid="share-not_applicable"' not in page
    assert 'data-testid="share-base"' in page
    rows = re.findall(r'data-testid="member-row-\d+">(.*?)</tr>', page, re.DOTALL)
    activist = next(row for row in rows if "积极分子" in row)
    elder = next(row for row in rows if "老党员" in row)
    assert "status-not_applicable" in activist and "免学" not in activist
    assert "status-exempt" in elder and "免学" in elder


def test_a_finished_year_shows_final_statuses_and_no_projection(session, auth, app):
    world = _world(session, app)
    for person in (world.member_a, world.secretary_a, world.general_secretary):
        person.created_at = JOINED_2024  # members in 2025
    with app.app_context():
        _credit_in(session, world.member_a, "40", 2025)
        _credit_in(session, world.secretary_a, "3", 2025)
    session.commit()
    auth.login("seca")
    url = f"/completion/units/{world.branch_a.id}"
    current = auth.client.get(url).get_data(as_text=True)
    assert 'data-testid="member-projection"' in current and "进度滞后" in current
    past = auth.client.get(f"{url}?year=2025").get_data(as_text=True)
    assert 'data-testid="count-behind">2<' in past and 'data-testid="count-done">1<' in past
    assert 'data-testid="count-on_track"' not in past
    assert 'data-testid="member-projection"' not in past
    assert "进度滞后" not in past  # "behind pace" means nothing once the year is over
    member = auth.client.get(f"/completion/members/{world.secretary_a.id}?year=2025")
    assert "进度滞后" not in member.get_data(as_text=True)
    with app.test_request_context():
        assert status_label(Status.BEHIND, finished=True) != status_label(Status.BEHIND)
        frame = Frame.of(session, 2025, FIXED_NOW)
        rows = list(export.member_rows(session, world.branch_a, frame, Filters()))
    assert rows and all(row[-1] is None for row in rows)  # the projection column


def test_the_unit_chart_has_a_bar_for_the_members_directly_in_the_unit(session, auth, app):
    world = _world(session, app)
    make_user(session, unit=world.general, display_name="总支直属党员")
    session.commit()
    auth.login("gsec")
    page = auth.client.get(f"/completion/units/{world.general.id}").get_data(as_text=True)
    chart = _chart_data(page)
    assert len(chart["units"]) == 3  # 甲支部, 乙支部 and the direct members
    assert world.general.name in chart["units"][-1]
    per_bar = [sum(counts) for counts in zip(*chart["byUnit"], strict=True)]
    assert per_bar[-1] == 1
    assert sum(per_bar) == sum(chart["counts"])
    assert 'data-testid="unit-row-direct"' in page


def test_exports_stamp_the_units_local_time_and_write_completion_as_a_percentage(
    session, auth, app
):
    world = _world(session, app)
    world.general.timezone = "Asia/Urumqi"  # UTC+6; the platform default is Shanghai
    session.commit()
    auth.login("gsec")
    response = auth.post(f"/completion/units/{world.general.id}/export.xlsx", {"year": "2026"})
    workbook = load_workbook(io.BytesIO(response.data))
    members, summary = workbook.worksheets
    stamp = " ".join(str(cell.value) for cell in members[1])
    # FIXED_NOW is 02:00 UTC: 08:00 in Urumqi.
    assert "2026-03-10 08:00" in stamp and "Asia/Urumqi" in stamp and "UTC" in stamp
    assert members.column_dimensions["A"].width >= 24
    assert all(members.column_dimensions[c].width >= 10 for c in "BCDEFGHIJKL")
    header = [cell.value for cell in summary[2]]
    completion = len(header) - 1  # 1-based column of the completion share
    shares = [row[completion - 1] for row in summary.iter_rows(min_row=3)]
    assert shares and all(cell.number_format == "0.0%" for cell in shares if cell.value is not None)
    # Per unit where members sit: 甲第一党小组 (member_a, done) and 甲支部 (gsec, seca, behind).
    assert {cell.value for cell in shares} >= {0, 1}
    workbook.close()
    csv_text = (
        auth.post(f"/completion/units/{world.general.id}/export.csv", {"year": "2026"})
        .get_data()
        .decode("utf-8-sig")
    )
    assert "2026-03-10 08:00" in csv_text.splitlines()[0]
    written = b"".join(export.csv_bytes(["完成率"], [[export.Share(0.25)]])).decode("utf-8-sig")
    assert written.splitlines()[1] == "25.0%"


def test_the_reminder_page_offers_the_secretaries_digest_to_secretaries_only(session, auth):
    build_world(session)
    auth.login("memb")
    page = auth.client.get("/completion/reminders").get_data(as_text=True)
    assert 'id="kind-secretary_digest"' not in page
    assert 'name="pace_reminder"' in page
    auth.logout()
    auth.login("seca")
    page = auth.client.get("/completion/reminders").get_data(as_text=True)
    assert 'id="kind-secretary_digest"' in page


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_exports_follow_every_filter_on_screen_and_say_which(session, auth, app):
    world = _world(session, app)
    make_user(
        session, unit=world.branch_a, display_name="预备甲", category=MemberCategory.PROBATIONARY
    )
    done = make_user(session, unit=world.branch_a, display_name="完成者")
    with app.app_context():
        _credit(session, done, "33")
    session.commit()
    auth.login("seca")
    auth.client.set_cookie(LANG_COOKIE, "en")
    url = f"/completion/units/{world.branch_a.id}"
    page = auth.client.get(f"{url}?status=behind&member_category=full").get_data(as_text=True)
    forms = page[page.index('data-testid="exports"') : page.index('id="export-progress"')]
    assert forms.count('name="status" value="behind"') == 2  # the workbook and the CSV
    assert forms.count('name="member_category" value="full"') == 2
    assert 'data-rows="2"' in forms  # gsec and seca: the rows the files will hold
    filters = {"year": "2026", "status": "behind", "member_category": "full"}
    rows = _csv_rows(auth.post(f"{url}/export.csv", filters))
    assert rows[0][3] == "Filters: Member category: Full member; Status: Behind"
    assert sorted(row[1] for row in rows[2:]) == sorted(
        [world.general_secretary.display_name, world.secretary_a.display_name]
    )
    workbook = load_workbook(io.BytesIO(auth.post(f"{url}/export.xlsx", filters).data))
    members, summary = workbook.worksheets
    assert [row[1] for row in members.iter_rows(min_row=3, values_only=True)] == [
        r[1] for r in rows[2:]
    ]
    # The summary is the dashboard's counts: every status, so the status filter is not its own.
    assert summary.cell(1, 4).value == "Filters: Member category: Full member"
    total = [cell.value for cell in list(summary.iter_rows(min_row=3))[-1]]
    assert total[2] == 3  # gsec, seca and 完成者: the full members
    workbook.close()
    everyone = _csv_rows(auth.post(f"{url}/export.csv", {"year": "2026"}))
    assert everyone[0][3] == "Filters: none (every member of the year)"
    assert len(everyone) - 2 == 5
    session.rollback()
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "completion.exported")
    ).all()
    assert [entry.after["status"] for entry in entries] == ["behind", "behind", ""]


def test_the_member_csv_is_in_tree_order_and_names_units_by_path(session, auth, app):
    world = _world(session, app)
    later_group = make_unit(
        session, parent=world.branch_a, name="甲第二党小组", kind=UnitKind.GROUP
    )
    make_user(session, unit=later_group, display_name="二组成员")
    make_user(session, unit=world.root, display_name="党委直属")
    session.commit()
    assert later_group.id > world.branch_b.id  # made after 乙支部: id order is not tree order
    auth.login("admin")
    rows = _csv_rows(auth.post(f"/completion/units/{world.root.id}/export.csv", {"year": "2026"}))
    units = [row[0] for row in rows[2:]]
    sequence = [unit for i, unit in enumerate(units) if i == 0 or units[i - 1] != unit]
    assert len(sequence) == len(set(sequence))  # each unit's rows together
    assert set(sequence) == {
        world.root.name,
        "测试党总支 / 甲支部",
        "测试党总支 / 甲支部 / 甲第一党小组",
        "测试党总支 / 甲支部 / 甲第二党小组",
        "测试党总支 / 乙支部",
    }
    # Tree order: the units below a unit come right after it.
    branch = sequence.index("测试党总支 / 甲支部")
    assert set(sequence[branch + 1 : branch + 3]) == {
        "测试党总支 / 甲支部 / 甲第一党小组",
        "测试党总支 / 甲支部 / 甲第二党小组",
    }
    assert sequence[0] == world.root.name


def test_a_correction_names_the_entry_it_cancels_not_its_id(session, auth, app):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, title="学习党章")
    lesson = make_lesson(session, course=course, title="第一章 党员")
    with app.test_request_context():
        entry = credit(
            session,
            world.member_a,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            lesson.id,
            "1",
            600,
            FIXED_NOW,
        )
        reversal = reverse_entry(session, world.secretary_a, entry, "重复计入", FIXED_NOW)
        claim = credit(
            session,
            world.member_a,
            HoursCategory.EXTERNAL,
            SourceType.CLAIM,
            7,
            "2",
            0,
            FIXED_NOW,
            note="市委党校专题培训班结业证书",
        )
        # Without the cancelled entry at hand: its day and category, which the correction keeps.
        nothing = LedgerNotes(reversals={}, originals={}, titles={})
        bare = correction_label(reversal, None, nothing)
        assert "2026-03-10" in bare and hours_category_label(HoursCategory.ONLINE) in bare
        assert entry_subject(claim, nothing) == "市委党校专题培训班结业证书"
    session.commit()
    auth.login("seca")
    auth.client.set_cookie(LANG_COOKIE, "en")
    page = auth.client.get(f"/completion/members/{world.member_a.id}").get_data(as_text=True)
    assert "Correction of the entry of 2026-03-10 (Online study · 第一章 党员)" in page
    assert f"Correction of entry {entry.id}" not in page


def _ledger_items(page: str) -> list[str]:
    return page.split('data-testid="ledger-entry"')[1:]


def test_the_secretarys_member_page_marks_an_entry_a_correction_cancelled(session, auth, app):
    """As on the member's own page: the cancelled credit is struck through and says when and
    why; the entry left standing is not."""
    world = build_world(session)
    with app.test_request_context():
        kept = credit(
            session,
            world.member_a,
            HoursCategory.SELF_STUDY,
            SourceType.SELF_STUDY,
            "kept",
            "2",
            0,
            FIXED_NOW,
            note="学习党章第一章",
        )
        wrong = credit(
            session,
            world.member_a,
            HoursCategory.SELF_STUDY,
            SourceType.SELF_STUDY,
            "wrong",
            "8",
            0,
            FIXED_NOW,
            note="整天自学党章",
        )
        reverse_entry(session, world.secretary_a, wrong, "一天按 8 学时记多了", FIXED_NOW)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/members/{world.member_a.id}?year=2026")
    assert page.status_code == 200
    items = _ledger_items(html.unescape(page.get_data(as_text=True)))
    assert len(items) == 3
    cancelled = next(item for item in items if '"text-break">整天自学党章<' in item)
    assert 'data-testid="ledger-entry-cancelled"' in cancelled
    assert "已于 2026-03-10 更正冲销：一天按 8 学时记多了" in cancelled
    assert re.search(r'line-through[^>]*data-testid="ledger-entry-hours">\+8\.00<', cancelled)
    standing = next(item for item in items if f"{kept.hours:+.2f}" in item)
    correction = next(item for item in items if "-8.00" in item)
    for item in (standing, correction):
        assert "ledger-entry-cancelled" not in item and "line-through" not in item


def test_the_csv_writes_hours_with_two_decimals_as_the_pages_do(session, auth, app):
    world = _world(session, app)
    auth.login("seca")
    response = auth.post(f"/completion/units/{world.branch_a.id}/export.csv", {"year": "2026"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header = rows[1]
    target = header.index("年度要求")
    member = next(row for row in rows[2:] if row[1] == world.member_a.display_name)
    assert member[target] == "32.00"
    hours = [member[i] for i in range(3, target)]
    assert hours and all(cell.count(".") == 1 and len(cell.split(".")[1]) == 2 for cell in hours)
