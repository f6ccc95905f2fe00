"""Studying a lesson in a real browser at phone size: time grows only while the page is in view
(a short absence earns nothing either), a second tab adds nothing, and completion adds exactly
one ledger entry that My study explains.

The e2e server reports every second (E2E_OVERRIDES); an admin first shortens the lesson to 30 s
through the authoring screen so that the journey completes in well under a minute.
"""

import re
import time
from datetime import date

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

REQUIRED_SECONDS = 30
HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def _verified(page, lesson_id: int) -> int:
    response = page.request.get(f"/study/lessons/{lesson_id}/progress")
    assert response.ok
    return response.json()["verified_seconds"]


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def _not_started_lesson(page) -> int:
    page.goto("/study/")
    expect(page.get_by_test_id("course-card").first).to_be_visible()
    shot(page, "study-courses")
    for index in range(page.get_by_test_id("course-card").count()):
        page.goto("/study/")
        page.get_by_test_id("course-card").nth(index).click()
        rows = page.locator("li", has=page.get_by_test_id("lesson-status"))
        for row in range(rows.count()):
            item = rows.nth(row)
            if item.get_by_test_id("lesson-status").inner_text().strip() in (
                "未开始",
                "Not started",
            ):
                href = item.locator("a").first.get_attribute("href")
                return int(re.search(r"/study/lessons/(\d+)", href).group(1))
    raise AssertionError("the demo member has no lesson left to start")


def _shorten(page, lesson_id: int) -> None:
    login(page, "demo-admin")
    page.goto(f"/courses/manage/lessons/{lesson_id}/edit")
    page.fill("input[name=length]", "0:30")
    page.fill("input[name=required_percent]", "100")
    page.locator("form:has(input[name=length]) button[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_be_visible()


def _entry_count(page) -> int:
    page.goto("/study/me")
    return int(page.get_by_test_id("entry-count").get_attribute("data-count"))


def test_demo_member_studies_a_lesson(page, new_page):
    login(page, "demo-member")
    entries_before = _entry_count(page)
    lesson_id = _not_started_lesson(page)
    _shorten(new_page(DESKTOP), lesson_id)

    page.goto(f"/study/lessons/{lesson_id}")
    expect(page.get_by_test_id("tracker")).to_be_visible()
    _wait_for(lambda: _verified(page, lesson_id) >= 3)
    shot(page, "study-lesson")

    # Hidden: the page says it paused, stops reporting, and the server figure stands still.
    page.evaluate(HIDE)
    expect(page.get_by_test_id("tracker-state")).to_contain_text(re.compile("暂停|Paused"))
    time.sleep(1.5)  # the pause report may still be in flight
    before = _verified(page, lesson_id)
    time.sleep(4)
    assert _verified(page, lesson_id) == before
    # Back in view: the time away (under the 40 s gap rule) earns nothing, only the time since.
    page.evaluate(SHOW)
    shown = time.monotonic()
    _wait_for(lambda: _verified(page, lesson_id) >= before + 2)
    assert _verified(page, lesson_id) - before <= time.monotonic() - shown + 1.5

    # A second tab on the same lesson: the member's time is merged, so the figure grows no
    # faster than the clock.
    second = page.context.new_page()
    second.goto(f"/study/lessons/{lesson_id}")
    expect(second.get_by_test_id("tracker")).to_be_visible()
    started, start_value = time.monotonic(), _verified(page, lesson_id)
    time.sleep(5)
    grown = _verified(page, lesson_id) - start_value
    assert grown <= time.monotonic() - started + 2
    second.close()

    # Reading to the end and studying long enough completes the lesson.
    page.locator("[data-study-end]").scroll_into_view_if_needed()
    expect(page.get_by_test_id("tracker-state")).to_contain_text(
        re.compile("已完成|Completed"), timeout=REQUIRED_SECONDS * 1000
    )
    time.sleep(2)  # later reports add no second entry

    # Exactly one ledger entry was added, and My study says what it is for and by which rule.
    assert _entry_count(page) == entries_before + 1
    entries = page.locator(f'[data-testid=ledger-entry]:has(a[href="/study/lessons/{lesson_id}"])')
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("2019-1")
    expect(entries.first).to_contain_text(re.compile("在线学习|Online study"))
    expect(entries.first).to_contain_text(re.compile("完成课节|Lesson completed"))
    expect(page.get_by_test_id("year-summary")).to_contain_text("32")
    shot(page, "study-me")
    assert page.viewport_size == PHONE


def test_my_study_at_desktop_size(desktop_page):
    login(desktop_page, "demo-member")
    desktop_page.goto("/study/me")
    expect(desktop_page.get_by_test_id("ledger-entry").first).to_be_visible()
    shot(desktop_page, "study-me")
    desktop_page.goto("/study/")
    shot(desktop_page, "study-courses")
    desktop_page.goto("/")
    expect(desktop_page.get_by_test_id("continue-learning")).to_be_visible()
    shot(desktop_page, "study-home")


def test_admin_adds_a_rule_set_version_at_phone_size(page):
    login(page, "demo-admin")
    page.goto("/hours/rules")
    expect(page.get_by_test_id("rule-set").first).to_contain_text("2019-1")
    shot(page, "hours-rules")
    page.goto("/hours/rules/new")
    next_year = date.today().year + 1
    page.fill("input[name=version]", f"{next_year}-1")
    page.fill("input[name=effective_from]", f"{next_year}-01-01")
    page.fill("textarea[name=source]", "某党委学时管理办法（试行）第五条")
    page.fill("input[name=daily_online_cap_hours]", "3")
    shot(page, "hours-rule-new")
    page.locator("form:has(textarea[name=source]) button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    newest = page.get_by_test_id("rule-set").first
    expect(newest).to_contain_text(f"{next_year}-1")
    expect(newest).to_contain_text("某党委学时管理办法")
    assert page.viewport_size == PHONE


def test_a_refused_self_study_lands_on_the_form_with_its_error(page):
    login(page, "demo-member")
    page.goto("/study/me")
    page.fill("input[name=hours]", "0.3")  # not a quarter hour
    page.fill("input[name=note]", "阅读党章并做笔记")
    page.locator("[data-testid=self-study-form] button[type=submit]").click()
    error = page.locator("#self-study .invalid-feedback")
    expect(error).to_be_visible()
    # The form is thousands of pixels down: the answer scrolls back to it, and says at the top
    # that nothing was recorded.
    expect(error).to_be_in_viewport()
    expect(page.get_by_test_id("self-study-failed")).to_have_count(1)
    shot(page, "study-self-study-refused")
    assert page.viewport_size == PHONE


def test_a_lesson_left_for_another_page_reports_its_last_interval(page):
    login(page, "demo-member")
    lesson_id = _not_started_lesson(page)

    # This page reports every 60 s: what the lesson earns below is its leaving report's alone.
    def slow_reports(route):
        response = route.fetch()
        body = response.text().replace('data-heartbeat-seconds="1"', 'data-heartbeat-seconds="60"')
        route.fulfill(response=response, body=body)

    page.route(f"**/study/lessons/{lesson_id}", slow_reports)
    page.goto(f"/study/lessons/{lesson_id}")
    expect(page.get_by_test_id("tracker-state")).to_contain_text(re.compile("正在记录|Recording"))
    time.sleep(4)
    assert _verified(page, lesson_id) == 0  # nothing reported yet
    page.goto("/study/")  # the tab moves on, as to the next lesson
    _wait_for(lambda: _verified(page, lesson_id) >= 3)
    assert _verified(page, lesson_id) <= 8
