"""Leaving an exam and coming back, at phone size: the taking screen keeps the question the
member was at across a reload and the form's save, and the quiz list and the home page flag the
attempt in progress with the time left and a link straight back to it."""

import re

from playwright.sync_api import expect

from learnapp.quizzes.demo import EXAM_TITLE
from tests.e2e.conftest import DESKTOP, PHONE, login, reset_and_login, shot


def _slot(page, position: int):
    return page.locator(f'[data-slot="{position}"]')


def _choose(page, position: int) -> None:
    """Some answer to the question at `position` (the demo exam starts with single choices)."""
    _slot(page, position).locator(".form-check-label").first.click()
    expect(_slot(page, position).locator("[data-seq]")).to_have_value("1")


def _tab_switches(reporter, report_url: str, attempt_id: str) -> str:
    """The tab switches (切屏) the exam report counts for the attempt."""
    reporter.goto(report_url)
    row = reporter.locator(f'[data-testid="report-attempt"][data-attempt="{attempt_id}"]')
    return row.get_by_test_id("tab-switches").inner_text()


def test_member_keeps_the_question_and_finds_the_exam_in_progress(new_page):
    # A member of the demo branch who has not taken the exam (the demo's takers are dy001–dy007).
    page = reset_and_login(new_page, "dy012", PHONE)
    page.goto("/quizzes/")
    page.get_by_test_id("quiz-card").filter(has_text=EXAM_TITLE).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+$"))
    report_url = re.sub(r"/quizzes/(\d+)$", r"/quizzes/manage/\1/report", page.url)
    page.get_by_test_id("start-attempt").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+(#q\d+)?$"))
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()
    attempt_url = page.url.split("#")[0]
    attempt_id = attempt_url.rsplit("/", 1)[1]
    reporter = new_page(DESKTOP)
    login(reporter, "demo-admin")
    expect(page).to_have_url(re.compile(r"#q1$"))
    _choose(page, 1)

    # The navigator's question is in the address: a reload opens on it.
    page.locator('[data-nav-to="4"]').click()
    expect(page).to_have_url(re.compile(r"#q4$"))
    _choose(page, 4)
    page.reload()
    expect(_slot(page, 4)).to_be_visible()
    expect(_slot(page, 1)).to_be_hidden()
    expect(page.locator('[data-nav-to="4"]')).to_have_attribute("aria-current", "step")

    # The form's save (a full post) comes back to the same question. Reloading the page by
    # its own button is not leaving it: the exam report counts no tab switch (切屏) for it.
    switches_before = _tab_switches(reporter, report_url, attempt_id)
    page.locator('[data-slot="4"] [data-step="1"]').click()
    page.locator('[data-slot="5"] [data-step="1"]').click()
    expect(page).to_have_url(re.compile(r"#q6$"))
    page.get_by_test_id("save-answers").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#q6$"))
    expect(_slot(page, 6)).to_be_visible()
    expect(_slot(page, 1)).to_be_hidden()
    shot(page, "quiz-back-at-question")
    _choose(page, 6)  # a round trip of the reloaded page: the old one's requests are in
    assert _tab_switches(reporter, report_url, attempt_id) == switches_before
    # Switching to another tab is signalled.
    with page.expect_request(lambda r: r.url.endswith("/signals")) as signal:
        page.evaluate(
            "Object.defineProperty(document, 'visibilityState', {value: 'hidden'});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    assert signal.value.post_data_json == {"kind": "hidden"}

    # Away from the exam, the quiz list and the home page say it is in progress.
    page.goto("/quizzes/")
    card = page.get_by_test_id("quiz-card").filter(has_text=EXAM_TITLE)
    expect(card.get_by_test_id("in-progress")).to_be_visible()
    expect(card.get_by_test_id("time-left")).to_contain_text(re.compile(r"\b(29|30)\b"))
    expect(card.get_by_test_id("attempts-used")).to_contain_text("1")
    shot(page, "quiz-list-in-progress")
    card.get_by_test_id("card-resume").click()
    expect(page).to_have_url(re.compile(re.escape(attempt_url) + r"(#q\d+)?$"))
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()
    expect(_slot(page, 4).locator("input:checked")).to_have_count(1)

    page.goto("/")
    running = page.get_by_test_id("home-running")
    expect(running).to_contain_text(EXAM_TITLE)
    expect(running.get_by_test_id("in-progress")).to_be_visible()
    expect(running.get_by_test_id("time-left")).to_be_visible()
    shot(page, "home-exam-in-progress")
    running.click()
    expect(page).to_have_url(re.compile(re.escape(attempt_url) + r"(#q\d+)?$"))
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()
