"""Managing an exam in a real browser, as a branch secretary does: who has not finished yet on
the exam report, a member's extension granted by their name (never a shorter close), and a
paper that can no longer change once members have taken it. These read the demo exam, and the
override made here is looked up by its member's name: other tests' own terms never count."""

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from learnapp.quizzes.demo import EXAM_TITLE
from tests.e2e.conftest import DESKTOP, PHONE, login, shot


def _exam_page(page) -> None:
    page.goto("/quizzes/manage")
    page.get_by_role("link", name=EXAM_TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(r"/quizzes/manage/\d+$"))


def _overrides(page) -> None:
    page.get_by_test_id("overrides-link").click()
    expect(page).to_have_url(re.compile(r"/quizzes/manage/\d+/overrides$"))


def test_the_report_says_who_has_not_finished_and_scrolls_at_phone_width(new_page):
    page = new_page(PHONE)
    login(page, "demo-secretary")
    _exam_page(page)
    page.get_by_test_id("report-link").click()
    expect(page).to_have_url(re.compile(r"/quizzes/manage/\d+/report$"))
    outstanding = page.get_by_test_id("outstanding")
    expect(outstanding).to_be_visible()
    count = int(page.get_by_test_id("outstanding-count").inner_text())
    assert count > 0
    expect(page.get_by_test_id("outstanding-member")).to_have_count(count)
    # The item table scrolls inside its box; its headers stay on one line.
    table = page.get_by_test_id("item-stats")
    header = table.locator("th").nth(3)
    box = header.bounding_box()
    assert box["width"] > box["height"]
    wrapper_width = page.evaluate("el => el.parentElement.clientWidth", table.element_handle())
    assert wrapper_width <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "quiz-report-outstanding")


def test_a_secretary_extends_a_members_exam_by_name(new_page):
    page = new_page(PHONE)
    login(page, "demo-secretary")
    _exam_page(page)
    # The demo exam has been taken: its paper is fixed, and the page says so.
    expect(page.get_by_test_id("paper-locked")).to_be_visible()
    expect(page.get_by_test_id("remove-item")).to_have_count(0)
    _overrides(page)
    terms = page.get_by_test_id("quiz-terms").inner_text()
    closes = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", terms).group(0)
    name = page.locator("#override-members option").first.get_attribute("value")
    rows = page.get_by_test_id("override-row").filter(has_text=name)
    page.fill("input[name=username]", name)
    # A day before the exam closes: that would shorten the member's exam.
    earlier = (datetime.strptime(closes, "%Y-%m-%d %H:%M") - timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    page.fill("input[name=closes_at]", earlier)
    page.fill("textarea[name=reason]", "出差在外，考试窗口内无法参加")
    page.get_by_test_id("save-override").click()
    expect(page.locator("input[name=closes_at].is-invalid")).to_be_visible()
    expect(rows).to_have_count(0)
    shot(page, "quiz-override-earlier-close")
    page.fill("input[name=closes_at]", "2030-06-30T18:00")
    page.get_by_test_id("save-override").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("2030-06-30 18:00")

    desktop = new_page(DESKTOP)
    login(desktop, "demo-secretary")
    _exam_page(desktop)
    _overrides(desktop)
    shot(desktop, "quiz-override-by-name")
    row = desktop.get_by_test_id("override-row").filter(has_text=name)
    desktop.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("remove-override").click()
    expect(row).to_have_count(0)
