"""The branch secretary's completion journey in a real browser: the dashboard, a member's ledger
entries, approving a claim (the member's hours change), and downloading the 学时统计 workbook."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

MEMBER = "李晓燕"  # demo-member: a pending claim of 3 study hours in the demo data


def _hours(page, name: str) -> Decimal:
    row = page.locator("tr", has=page.get_by_role("link", name=name, exact=True))
    return Decimal(row.get_by_test_id("member-hours").inner_text().strip())


def _dashboard(page):
    page.goto("/completion/")
    expect(page.get_by_test_id("status-counts")).to_be_visible()


def test_secretary_sees_completion_approves_a_claim_and_downloads_the_workbook(new_page, tmp_path):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    expect(page.get_by_test_id("home-inbox")).to_be_visible()
    expect(page.get_by_test_id("inbox-claims")).to_be_visible()
    shot(page, "completion-home")

    _dashboard(page)
    # Whether anyone is on track depends on the day the demo was seeded (in December, the
    # demo branch's meetings so far fall short of the pace): that card is only present.
    for status in ("done", "behind", "exempt", "not_applicable"):
        assert int(page.get_by_test_id(f"count-{status}").inner_text()) > 0, status
    expect(page.get_by_test_id("count-on_track")).to_have_count(1)
    expect(page.locator("canvas[data-chart=status]")).to_be_visible()
    shot(page, "completion-dashboard")
    before = _hours(page, MEMBER)

    # Drill down: the member's ledger entries explain the total.
    page.get_by_role("link", name=MEMBER, exact=True).click()
    expect(page.get_by_test_id("member-summary")).to_be_visible()
    assert page.get_by_test_id("ledger-entry").count() > 0
    expect(page.get_by_test_id("ledger")).to_contain_text("主题党日")
    shot(page, "completion-member")

    # The inbox leads to the pending claim; approving it credits the member.
    page.goto("/inbox")
    page.get_by_test_id("inbox-claims").click()
    page.locator("[data-testid^=claim-]", has_text=MEMBER).first.click()
    expect(page.get_by_test_id("evidence-link")).to_be_visible()
    shot(page, "claim-detail")
    phone = new_page(PHONE)
    login(phone, "demo-secretary")
    phone.goto(page.url)
    expect(phone.get_by_test_id("approve-claim")).to_be_visible()
    shot(phone, "claim-detail")
    page.get_by_test_id("approve-claim").click()
    expect(page.locator(".alert-success")).to_be_visible()
    _dashboard(page)
    assert _hours(page, MEMBER) == before + Decimal("3.00")

    # The workbook, with progress shown while it is prepared.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "hours.xlsx"
    download.save_as(path)
    workbook = load_workbook(path, read_only=True)
    names = [row[1] for row in workbook.worksheets[0].iter_rows(min_row=3, values_only=True)]
    assert MEMBER in names
    assert "王建国" in str(next(workbook.worksheets[0].iter_rows(values_only=True)))
    workbook.close()
    expect(page.get_by_test_id("export-progress")).to_be_visible()

    _dashboard(phone)
    shot(phone, "completion-dashboard")
    phone.get_by_role("link", name=MEMBER, exact=True).click()
    expect(phone.get_by_test_id("member-summary")).to_be_visible()
    shot(phone, "completion-member")


def test_the_dashboard_filters_and_refuses_units_outside_scope(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    _dashboard(page)
    unit_id = re.search(r"/completion/units/(\d+)", page.url).group(1)
    page.select_option("#f-member-category", "probationary")
    page.locator("[data-testid=completion-filters] button").click()
    expect(page).to_have_url(re.compile("member_category=probationary"))
    total = sum(
        int(page.get_by_test_id(f"count-{s}").inner_text())
        for s in ("done", "on_track", "behind", "exempt")
    )
    assert total == page.get_by_test_id("completion-members").locator("tbody tr").count()
    response = page.goto(f"/completion/units/{int(unit_id) - 1}")
    assert response.status == 404


def test_the_committee_drills_down_from_the_whole_organisation_to_a_members_entries(new_page):
    for size in (DESKTOP, PHONE):
        page = new_page(size)
        login(page, "demo-admin")
        page.goto("/completion/")
        expect(page.get_by_test_id("unit-table")).to_contain_text("机关党总支")
        shot(page, "completion-committee")
        if size == DESKTOP:
            # The summary by unit: the 党总支's line is its row on the dashboard.
            row = page.get_by_test_id("unit-table").locator("tr", has_text="机关党总支")
            members = row.locator("td").nth(1).inner_text().strip()
            with page.expect_download() as download_info:
                page.get_by_test_id("export-summary_csv").click()
            text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            (line,) = [r for r in rows[2:] if r[0] == "机关党总支"]
            assert line[2] == members
            # A branch with party groups: its line holds the groups' members too.
            (branch,) = [r for r in rows[2:] if r[0] == "机关党总支 / 机关第一党支部"]
            groups = [r for r in rows[2:] if r[0].startswith("机关党总支 / 机关第一党支部 / ")]
            assert len(groups) == 2
            assert int(branch[2]) > sum(int(r[2]) for r in groups)  # and its direct members
        page.get_by_test_id("unit-table").get_by_role("link", name="机关党总支").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("机关党总支")
        page.get_by_test_id("unit-table").get_by_role("link", name="机关第一党支部").click()
        expect(page.get_by_test_id("completion-members")).to_be_visible()
        # The breadcrumb leads back up the tree the administrator manages.
        expect(page.locator(".breadcrumb")).to_contain_text("明德研究院党委")
        page.get_by_role("link", name=MEMBER, exact=True).click()
        expect(page.get_by_test_id("member-summary")).to_be_visible()
        assert page.get_by_test_id("ledger-entry").count() > 0
