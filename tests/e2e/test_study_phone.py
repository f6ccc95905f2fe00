"""My study and the lesson page on a phone (375 px): a pending claim's title keeps the row, its
hours and state going under it, in both languages; small links are tap targets at least 24 px
tall; and a lesson page whose time another page of the member's already earns says so."""

import re
import secrets
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELSEWHERE = re.compile("另一个页面正在计时|Another page is recording")
RECORDING = re.compile("正在记录学习时长|Recording your study time")
MIN_TARGET = 24
TAP_PADDING = 4  # .tap-target's padding, which overlaps the next line by as much
# The height of a link's ledger entry as it is, and with the link a plain one.
WITH_AND_WITHOUT_TARGET = """(link) => {
  const entry = link.closest('[data-testid=ledger-entry]');
  const height = () => entry.getBoundingClientRect().height;
  const before = height();
  link.classList.remove('tap-target');
  const plain = height();
  link.classList.add('tap-target');
  return [before, plain];
}"""


def _in(page, locale: str) -> None:
    page.context.add_cookies([{"name": "learnapp_lang", "value": locale, "url": page.url}])
    page.reload()


def _claim(page, tmp_path) -> str:
    evidence = tmp_path / "证明.pdf"
    evidence.write_bytes(PDF)
    description = f"External study on the Party constitution {secrets.token_hex(3)}"
    page.goto("/orglife/claims")
    page.select_option("#category", "external")
    page.fill("#hours", "3")
    page.fill("#description", description)
    page.set_input_files("#evidence", str(evidence))
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_be_visible()
    return description


def _box(locator) -> dict:
    locator.scroll_into_view_if_needed()
    return locator.bounding_box()


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_pending_claim_keeps_its_title_whole_at_phone_size(new_page, tmp_path, locale):
    page = new_page(PHONE)
    login(page, "demo-member")
    _in(page, locale)
    description = _claim(page, tmp_path)
    page.goto("/study/me")
    row = page.get_by_test_id("pending-claim").filter(has_text=description)
    title, state = _box(row.locator("a")), _box(row.get_by_test_id("pending-claim-state"))
    whole = _box(row)
    # The title takes the whole row (it was squeezed to ~45 px, "Extern / al study"); hours and
    # state sit under it, not beside it.
    assert title["width"] >= whole["width"] - 1, (title, whole)
    assert state["y"] >= title["y"] + title["height"] - TAP_PADDING - 1, (title, state)
    assert state["x"] + state["width"] <= whole["x"] + whole["width"] + 1
    # No word of the title is cut: at most three lines of a small text for this description.
    assert title["height"] < 80, title
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    shot(page, f"study-me-pending-claims-{locale}")
    # Where there is room (a desktop), hours and state stand beside the title.
    page.set_viewport_size(DESKTOP)
    title, state = _box(row.locator("a")), _box(row.get_by_test_id("pending-claim-state"))
    assert state["y"] < title["y"] + title["height"] and state["x"] > title["x"] + title["width"]


def _assert_target(locator) -> None:
    box = _box(locator)
    assert box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, box


def test_small_links_on_my_study_and_home_are_tap_targets_of_24_px(page):
    login(page, "demo-member")
    page.goto("/study/me")
    page.fill("input[name=hours]", "0.25")
    note = f"阅读党章 {secrets.token_hex(3)}"
    page.fill("input[name=note]", note)
    page.locator("[data-testid=self-study-form] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    entry = page.get_by_test_id("ledger-entry").filter(has_text=note)
    remove = entry.get_by_test_id("remove-entry")
    _assert_target(remove)
    # The taller target takes no room: the entry is as tall as with a plain link.
    heights = remove.evaluate(WITH_AND_WITHOUT_TARGET)
    assert abs(heights[0] - heights[1]) <= 1, heights
    for link in page.locator("main a.tap-target").all():
        if link.is_visible():
            _assert_target(link)
    # The rules line gives the daily cap with two places, like every other hours figure.
    expect(page.get_by_test_id("year-summary")).to_contain_text(re.compile("每日最多计 4.00 学时"))
    shot(page, "study-me-targets")

    page.goto("/")
    for name in ("home-announcements", "home-quizzes"):
        _assert_target(page.get_by_test_id(name).locator("a.tap-target"))
    shot(page, "home-targets")


def _open_lessons(page, count: int) -> list[str]:
    """Addresses of `count` lessons the member has not completed."""
    found = []
    page.goto("/study/")
    cards = page.get_by_test_id("course-card")
    courses = [cards.nth(i).get_attribute("href") for i in range(cards.count())]
    for course in courses:
        page.goto(course)
        rows = page.locator("li", has=page.get_by_test_id("lesson-status"))
        for index in range(rows.count()):
            row = rows.nth(index)
            status = row.get_by_test_id("lesson-status").inner_text().strip()
            if status not in ("已完成", "Completed"):
                found.append(row.locator("a").first.get_attribute("href"))
            if len(found) == count:
                return found
    raise AssertionError("the demo member has too few lessons left to study")


def _state(page) -> str:
    return page.get_by_test_id("tracker-state").inner_text()


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def test_a_second_lesson_tab_says_its_time_is_counted_by_the_other(page):
    login(page, "demo-member")
    first_url, second_url = _open_lessons(page, 2)
    page.goto(first_url)
    second = page.context.new_page()
    second.goto(second_url)
    tabs = (page, second)
    for tab in tabs:
        expect(tab.get_by_test_id("tracker")).to_be_visible()
    # Both pages are in view and report every second: each second is credited once, to the page
    # that reports it first; the other page says that another page is counting.
    quiet = _wait_for(lambda: next((t for t in tabs if ELSEWHERE.search(_state(t))), None))
    counting = second if quiet is page else page
    expect(counting.get_by_test_id("tracker-state")).to_contain_text(RECORDING)
    shot(quiet, "study-lesson-counted-elsewhere")
    # Alone again, the page counts its own time and says so.
    counting.close()
    expect(quiet.get_by_test_id("tracker-state")).to_contain_text(RECORDING, timeout=10_000)
    expect(quiet.get_by_test_id("tracker-state")).not_to_contain_text(ELSEWHERE)
