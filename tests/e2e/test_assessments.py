"""The 民主评议 journey in a real browser: demo-member writes a self-appraisal and casts an
anonymous ballot, demo-secretary opens the steps, reviews dossiers and proposes every grade but
his own, which the unit above (demo-admin) sets; the unit above approves an 优秀, and the member
sees the result and the feedback."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

MEMBER_NAME = "李晓燕"
SECRETARY_NAME = "王建国"


def shots(page, name: str) -> None:
    """The page at both widths (phone and desktop), then back to the page's own."""
    own = page.viewport_size
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        shot(page, name)
    page.set_viewport_size(own)


def _own_period(page, index: int = 0) -> int:
    page.goto("/assessments")
    link = page.get_by_test_id("own-period").nth(index)
    return int(re.search(r"/periods/(\d+)/me", link.get_attribute("href")).group(1))


def _advance(page, period_id: int, expected) -> None:
    """Open the next step: unconfirmed, the browser holds the form; confirmed, it moves."""
    page.goto(f"/assessments/periods/{period_id}")
    step = page.get_by_test_id("period-step").inner_text()
    page.get_by_test_id("advance").click()
    expect(page.get_by_test_id("period-step")).to_have_text(step)
    expect(page.get_by_test_id("participation")).to_be_visible()
    page.get_by_test_id("advance-confirm").check()
    page.get_by_test_id("advance").click()
    expect(page.get_by_test_id("period-step")).to_contain_text(expected)


def test_the_assessment_journey(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    period_id = _own_period(member)
    member.goto(f"/assessments/periods/{period_id}/me")
    expect(member.get_by_test_id("period-step")).to_contain_text(re.compile("自评|Self"))
    member.get_by_test_id("write-self").click()
    member.get_by_test_id("self-text").fill("本年度坚持学习党的创新理论，按时参加组织生活。")
    shots(member, "assessment-self")
    member.get_by_test_id("save-self").click()
    expect(member.get_by_test_id("self-done")).to_be_visible()

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto(f"/assessments/periods/{period_id}/preview")
    expect(secretary.get_by_test_id("preview-row").first).to_be_visible()
    shots(secretary, "assessment-preview")
    secretary.goto(f"/assessments/periods/{period_id}")
    secretary.get_by_test_id("edit-schedule").click()
    expect(secretary.get_by_test_id("schedule-form")).to_be_visible()
    shots(secretary, "assessment-schedule")
    secretary.get_by_test_id("save-schedule").click()
    expect(secretary.get_by_test_id("period-step")).to_contain_text(re.compile("自评|Self"))
    _advance(secretary, period_id, re.compile("互评"))
    _advance(secretary, period_id, re.compile("测评"))

    member.goto(f"/assessments/periods/{period_id}/me")
    member.get_by_test_id("cast-ballot").click()
    expect(member.get_by_test_id("anonymity-note")).to_be_visible()
    member.get_by_test_id("fill-qualified").click()
    shots(member, "assessment-ballot")
    member.get_by_test_id("submit-ballot").click()
    expect(member.get_by_test_id("voted")).to_be_visible()
    member.goto(f"/assessments/periods/{period_id}/ballot")
    expect(member.get_by_test_id("already-voted")).to_be_visible()

    _advance(secretary, period_id, re.compile("支委会|Committee"))
    expect(secretary.get_by_test_id("aggregates-hidden")).to_be_visible()
    secretary.goto("/inbox")
    secretary.get_by_test_id("inbox-assessment-committee").click()
    expect(secretary.get_by_test_id("period-step")).to_contain_text(re.compile("支委会|Committee"))
    shots(secretary, "assessment-period")
    secretary.get_by_role("link", name=MEMBER_NAME).click()
    expect(secretary.get_by_test_id("evidence-label")).to_be_visible()
    expect(secretary.get_by_test_id("dossier-self")).to_contain_text("坚持学习")
    expect(secretary.get_by_test_id("print-dossier")).to_be_visible()
    shots(secretary, "assessment-dossier")
    secretary.goto(f"/assessments/periods/{period_id}/grades")
    rows = secretary.get_by_test_id("grade-row")
    for index in range(rows.count()):
        row = rows.nth(index)
        if row.get_by_test_id("own-grade").count():
            continue  # the secretary's own: read-only, set by someone else
        star = MEMBER_NAME in row.inner_text()
        row.locator("select").select_option("excellent" if star else "qualified")
        row.locator("input").fill("学习成效突出，测评良好。" if star else "按要求完成学习任务。")
    expect(secretary.get_by_test_id("own-grade-note")).to_contain_text(
        re.compile("支委会|committee")
    )
    shots(secretary, "assessment-grades")
    secretary.get_by_test_id("save-grades").click()
    secretary.get_by_test_id("submit-proposals").click()
    # Refused: the secretary's own grade is missing, and the page says who sets it.
    expect(secretary.locator(".alert-danger")).to_contain_text(SECRETARY_NAME)
    expect(secretary.get_by_test_id("own-grade-note")).to_be_visible()

    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto(f"/assessments/periods/{period_id}/grades")
    own = admin.get_by_test_id("grade-row").filter(has_text=SECRETARY_NAME)
    own.locator("select").select_option("qualified")
    own.locator("input").fill("认真履行书记职责。")
    admin.get_by_test_id("save-grades").click()
    expect(admin.get_by_test_id("period-step")).to_contain_text(re.compile("支委会|Committee"))

    secretary.get_by_test_id("submit-proposals").click()
    expect(secretary.get_by_test_id("period-step")).to_contain_text(re.compile("上级|unit above"))
    shots(secretary, "assessment-committee")

    admin.goto("/inbox")
    admin.get_by_test_id("inbox-assessment-approval").click()
    expect(admin.get_by_test_id("period-step")).to_contain_text(re.compile("上级|unit above"))
    shots(admin, "assessment-approval")
    admin.locator("[data-testid^=approve-]").first.click()
    expect(admin.get_by_test_id("period-step")).to_contain_text(re.compile("反馈|Feedback"))

    secretary.goto(f"/assessments/periods/{period_id}")
    row = secretary.locator("tr", has_text=MEMBER_NAME)
    row.locator("textarea").fill("希望继续发挥先锋模范作用。")
    row.locator("[data-testid^=save-feedback-]").click()
    secretary.get_by_test_id("lock").click()
    expect(secretary.get_by_test_id("period-step")).to_contain_text(re.compile("已结束|Closed"))

    member.goto(f"/assessments/periods/{period_id}/me")
    expect(member.get_by_test_id("my-grade")).to_contain_text("优秀")
    expect(member.get_by_test_id("my-feedback")).to_contain_text("先锋模范")
    shots(member, "assessment-result")


def test_last_years_closed_period_and_the_printable_dossier(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    member.goto("/assessments")
    last = member.get_by_test_id("own-period").filter(has_text=re.compile("已结束|Closed")).last
    last.click()
    expect(member.get_by_test_id("my-grade")).to_be_visible()
    member.get_by_test_id("my-dossier").click()
    expect(member.get_by_test_id("dossier-state")).to_contain_text(re.compile("冻结|Frozen"))
    shots(member, "assessment-own-dossier")

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/assessments")
    closed = secretary.get_by_test_id("managed-periods").locator(
        "tr", has_text=re.compile("已结束|Closed")
    )
    closed.last.get_by_test_id("open-period").click()
    expect(secretary.get_by_test_id("member-table")).to_be_visible()
    expect(secretary.get_by_test_id("aggregates-hidden")).to_have_count(0)
    shots(secretary, "assessment-closed-period")
    secretary.emulate_media(media="print")
    secretary.get_by_role("link", name=MEMBER_NAME).click()
    expect(secretary.locator("nav.navbar")).to_be_hidden()
    expect(secretary.locator("footer")).to_be_hidden()
    expect(secretary.get_by_test_id("print-dossier")).to_be_hidden()
    shots(secretary, "assessment-dossier-print")
