"""The secretary corrects what was entered in a real browser: an attendance refused for missing
reasons comes back as it was filled in, naming who lacks one; study recorded on behalf is
limited to a full day, and an approved claim entered in error is reversed, the member seeing it
cancelled in My study."""

import re
from datetime import date

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, reset_and_login, shot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _name(row) -> str:
    return row.locator(".attendee-name").inner_text().split()[0]


def _mark(row, status: str, reason: str = "") -> None:
    row.locator(f"label[for$='-{status}']").click()
    if reason:
        row.locator("input[type=text]").fill(reason)


def test_a_refused_attendance_keeps_every_mark_and_names_who_lacks_a_reason(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    page.goto("/orglife/meetings")
    page.get_by_test_id("new-meeting").click()
    page.select_option("#kind", "themed_day")
    page.fill("#title", "主题党日：缺席原因补录")
    page.fill("#held_on", date.today().isoformat())
    page.fill("[name='study_items-0-title']", "学习党章")
    page.fill("[name='study_items-0-minutes']", "60")
    page.get_by_test_id("save-meeting").click()
    expect(page.get_by_test_id("attendance-form")).to_be_visible()

    rows = page.locator(".attendance-row")
    total = rows.count()
    absent, leave, sick = rows.nth(1), rows.nth(2), rows.nth(3)
    names = [_name(absent), _name(leave), _name(sick)]
    _mark(absent, "absent")
    _mark(leave, "leave", "出差")
    _mark(sick, "absent", "生病")
    page.get_by_test_id("save-attendance").click()

    error = page.get_by_test_id("form-error")
    expect(error).to_contain_text(names[0])
    assert names[1] not in error.inner_text() and names[2] not in error.inner_text()
    rows = page.locator(".attendance-row")
    assert rows.count() == total
    absent = rows.filter(has_text=names[0])
    leave = rows.filter(has_text=names[1])
    sick = rows.filter(has_text=names[2])
    expect(absent.locator("input[value=absent]")).to_be_checked()
    expect(absent.locator("[data-testid^=reason-missing-]")).to_be_visible()
    expect(leave.locator("input[value=leave]")).to_be_checked()
    expect(leave.locator("input[type=text]")).to_have_value("出差")
    expect(sick.locator("input[value=absent]")).to_be_checked()
    expect(sick.locator("input[type=text]")).to_have_value("生病")
    expect(sick.locator("[data-testid^=reason-missing-]")).to_have_count(0)
    shot(page, "orglife-attendance-missing-reason")

    absent.locator("input[type=text]").fill("外出学习")
    page.get_by_test_id("save-attendance").click()
    expect(page.locator(".alert-success")).to_be_visible()
    rows = page.locator(".attendance-row")
    expect(rows.filter(has_text=names[0]).locator("input[value=absent]")).to_be_checked()
    expect(rows.filter(has_text=names[1]).locator("input[value=leave]")).to_be_checked()


def test_study_on_behalf_is_at_most_a_full_day_and_is_reversed_with_a_reason(new_page):
    # The demo branch's year is frozen by the assessment journey, so this happens in the
    # retired members' branch, whose hours can still be corrected; the admin manages it.
    page = new_page(PHONE)
    login(page, "demo-admin")
    page.goto("/orglife/meetings")
    page.get_by_role("link", name="离退休党支部").first.click()
    page.get_by_role("link", name=re.compile("代录学习|Record study on behalf")).first.click()
    form = page.get_by_test_id("on-behalf-form")
    member = form.locator("#member_id option").first.inner_text().strip()
    page.fill("#hours", "100")
    page.fill("#description", "上门送学：学习党章（误录）")
    form.locator("button[type=submit]").click()
    expect(form.locator(".invalid-feedback")).to_be_visible()
    expect(page.locator("#hours")).to_have_value("100")
    expect(page.locator("#description")).to_have_value("上门送学：学习党章（误录）")
    page.fill("#hours", "2")
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(member)

    recorded = page.get_by_test_id("recorded-on-behalf").locator("a").first
    expect(recorded).to_contain_text("学习党章（误录）")
    recorded.click()
    card = page.get_by_test_id("reverse-claim-card")
    card.locator("summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("button[type=submit]").click()  # no reason: refused, the form says why
    expect(page.get_by_test_id("reverse-claim-card").locator(".invalid-feedback")).to_be_visible()
    page.get_by_test_id("reverse-claim-card").locator("textarea").fill("录错了学时")
    shot(page, "orglife-reverse-on-behalf")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("reverse-claim").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_test_id("claim-reversal")).to_contain_text("录错了学时")
    expect(page.get_by_test_id("reverse-claim-card")).to_have_count(0)
    page.locator(".breadcrumb a").first.click()
    entry = page.get_by_test_id("recorded-on-behalf").locator("a", has_text="学习党章（误录）")
    expect(entry.get_by_test_id("claim-state")).to_have_class(re.compile("text-bg-danger"))


def test_an_approved_claim_is_reversed_and_the_member_sees_it_cancelled(new_page, tmp_path):
    evidence = tmp_path / "证书.pdf"
    evidence.write_bytes(PDF)
    description = "区委党校专题培训（重复申报）"
    # A member outside the demo branch, whose year is not frozen by the assessment journey.
    member = reset_and_login(new_page, "dy022", PHONE)
    member.goto("/orglife/claims")
    member.select_option("#category", "external")
    member.fill("#hours", "0.3")
    member.fill("#description", description)
    member.set_input_files("#evidence", str(evidence))
    member.get_by_test_id("submit-claim").click()
    expect(member.locator("#hours.is-invalid")).to_be_visible()
    expect(member.locator("#hours")).to_have_value("0.3")
    member.fill("#hours", "1.25")
    member.set_input_files("#evidence", str(evidence))
    member.get_by_test_id("submit-claim").click()
    expect(member.locator(".alert-success")).to_be_visible()

    secretary = new_page(DESKTOP)
    login(secretary, "demo-admin")
    secretary.goto("/orglife/claims/review")
    secretary.get_by_test_id("pending-claims").locator("a", has_text=description).click()
    secretary.get_by_test_id("approve-claim").click()
    expect(secretary.locator(".alert-success")).to_be_visible()
    secretary.get_by_test_id("tab-decided").click()
    secretary.get_by_test_id("filter-approved").click()
    secretary.get_by_test_id("decided-claims").locator("a", has_text=description).click()
    expect(secretary.locator(".breadcrumb")).to_contain_text(re.compile("Decided claims|已"))
    secretary.get_by_test_id("reverse-claim-card").locator("summary").click()
    secretary.get_by_test_id("reverse-claim-card").locator("textarea").fill("与上月申报重复")
    secretary.once("dialog", lambda dialog: dialog.accept())
    secretary.get_by_test_id("reverse-claim").click()
    expect(secretary.get_by_test_id("claim-reversal")).to_contain_text("与上月申报重复")
    shot(secretary, "orglife-claim-reversed")

    member.goto("/study/me")
    entry = (
        member.get_by_test_id("ledger-entry")
        .filter(has_text=description)
        .filter(has=member.get_by_test_id("ledger-entry-cancelled"))
    )
    expect(entry.get_by_test_id("ledger-entry-cancelled")).to_contain_text("与上月申报重复")
    shot(member, "study-claim-reversed")
