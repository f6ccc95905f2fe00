"""Organisational life in a real browser: the secretary records a 主题党日 with attendance and
the attendees' hours change; a member claims external study with evidence."""

from datetime import date
from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _row_hours(page, name: str) -> Decimal:
    row = page.locator("tr", has=page.get_by_role("link", name=name, exact=True))
    return Decimal(row.get_by_test_id("member-hours").inner_text().strip())


def _member_names(page) -> list[str]:
    return [
        link.inner_text().strip()
        for link in page.get_by_test_id("completion-members").locator("tbody a").all()
    ]


def test_secretary_records_a_themed_party_day_and_attendees_gain_hours(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    page.goto("/completion/")
    page.select_option("#f-category", "collective")
    page.locator("[data-testid=completion-filters] button").click()
    names = _member_names(page)
    before = {name: _row_hours(page, name) for name in names}

    page.goto("/orglife/meetings")
    expect(page.get_by_test_id("compliance-calendar")).to_be_visible()
    shot(page, "orglife-meetings")
    page.get_by_test_id("new-meeting").click()
    page.select_option("#kind", "themed_day")
    page.fill("#title", "主题党日：学习《中国共产党章程》总纲")
    page.fill("#held_on", date.today().isoformat())
    page.fill("#place", "党员活动室")
    page.fill("#observers", "机关党总支联络员")
    page.fill("[name='study_items-0-title']", "集体学习党章总纲")
    page.fill("[name='study_items-0-minutes']", "90")
    shot(page, "orglife-meeting-form")
    page.get_by_test_id("save-meeting").click()
    expect(page.get_by_test_id("meeting-title")).to_contain_text("章程》总纲")
    expect(page.get_by_test_id("meeting-observers")).to_have_text("机关党总支联络员")

    # Everyone present by default; one absent without a reason is refused, then explained.
    row = page.locator(".attendance-row").nth(1)
    absent = row.locator(".attendee-name").inner_text().split()[0]
    row.locator("label[for$='-absent']").click()
    page.get_by_test_id("save-attendance").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    row = page.locator(".attendance-row", has_text=absent)
    row.locator("label[for$='-absent']").click()
    row.locator("input[type=text]").fill("出差")
    page.get_by_test_id("save-attendance").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expected = page.locator(".attendance-row").count()
    shot(page, "orglife-attendance")

    page.goto("/completion/")
    page.select_option("#f-category", "collective")
    page.locator("[data-testid=completion-filters] button").click()
    after = {name: _row_hours(page, name) for name in _member_names(page)}
    assert after[absent] == before[absent]
    gained = [n for n in names if after[n] == before[n] + Decimal("1.50")]
    # Every party member present gained 1.5 hours; non-members are not expected at meetings.
    assert len(gained) == expected - 1 and absent not in gained

    phone = new_page(PHONE)
    login(phone, "demo-secretary")
    phone.goto(
        page.url.replace("/completion/units/", "/orglife/units/").split("?")[0] + "/meetings"
    )
    expect(phone.get_by_test_id("compliance-calendar")).to_be_visible()
    shot(phone, "orglife-meetings")
    phone.get_by_test_id("new-meeting").click()
    expect(phone.get_by_test_id("meeting-form")).to_be_visible()
    shot(phone, "orglife-meeting-form")
    phone.go_back()
    phone.get_by_test_id("meeting-list").locator("a").first.click()
    expect(phone.get_by_test_id("attendance-form")).to_be_visible()
    shot(phone, "orglife-attendance")


def test_secretary_deletes_a_meeting_recorded_twice(new_page):
    page = new_page(PHONE)
    login(page, "demo-secretary")
    page.goto("/orglife/meetings")
    page.get_by_test_id("new-meeting").click()
    page.select_option("#kind", "lecture")
    page.fill("#title", "误录的党课")
    page.fill("#held_on", date.today().isoformat())
    page.fill("[name='study_items-0-title']", "党课")
    page.fill("[name='study_items-0-minutes']", "60")
    page.get_by_test_id("save-meeting").click()
    expect(page.get_by_test_id("meeting-title")).to_have_text("误录的党课")
    page.get_by_test_id("meeting-delete").locator("summary").click()
    page.fill("#delete-reason", "与上周党课重复登记")
    shot(page, "orglife-meeting-delete")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-meeting").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_test_id("compliance-calendar")).to_be_visible()
    expect(page.get_by_text("误录的党课")).to_have_count(0)


def test_the_committee_follows_every_branch_on_the_compliance_calendar(new_page):
    for size in (DESKTOP, PHONE):
        page = new_page(size)
        login(page, "demo-admin")
        page.goto("/orglife/meetings")
        page.get_by_test_id("units-above").locator("a").first.click()
        calendars = page.get_by_test_id("branch-calendars")
        expect(calendars).to_contain_text("机关第一党支部")
        # The demo branch held this month's 主题党日; every branch shows what is due or missed.
        assert calendars.locator(".card").count() >= 6
        shot(page, "orglife-calendar")


def test_member_claims_external_study_with_evidence(new_page, tmp_path):
    evidence = tmp_path / "证书.pdf"
    evidence.write_bytes(PDF)
    disguised = tmp_path / "证书2.pdf"
    disguised.write_bytes(b"MZ\x90\x00 an executable")
    page = new_page(PHONE)
    login(page, "demo-member")
    page.goto("/orglife/claims")
    page.select_option("#category", "external")
    page.fill("#hours", "2")
    page.fill("#description", "参加区委党校专题讲座")
    page.set_input_files("#evidence", str(disguised))
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()
    page.fill("#hours", "2")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_test_id("my-claims")).to_contain_text("参加区委党校专题讲座")
    shot(page, "orglife-claims")
