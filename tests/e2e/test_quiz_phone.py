"""The exam's taking screen on a phone (375 px): the whole bordered box of a 单选, 多选 or 判断
option is its tap target, with a visible checked state and a keyboard focus ring; and with the
network down, an answer already saved is not counted again as waiting, time up (or the member's
own 交卷) says so at the top of the screen and freezes the answers, and the answers are submitted
once the network is back, never sent into the browser's offline page. Answers that come back
after the server has closed the attempt are recorded, not counted, and the member is told."""

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from learnapp.clock import now
from learnapp.db import get_db
from learnapp.jobs import run_job
from learnapp.quizzes.demo import EXAM_TITLE
from learnapp.quizzes.models import AnswerLog, AnswerOutcome, Attempt, FinishedBy
from tests.e2e.conftest import DESKTOP, PHONE, login, reset_and_login, shot

# The demo exam's questions in order: 单选 1–4, 多选 5–6, 判断 7–8, 填空 9, 简答 10.
SINGLE, MULTIPLE, JUDGE, FILL = 1, 5, 7, 9
PARTY_SOFT = "rgb(251, 236, 235)"
PARTY = "rgb(179, 38, 30)"


def _slot(page, position: int):
    return page.locator(f'[data-slot="{position}"]')


def _go(page, position: int) -> None:
    page.locator(f'[data-nav-to="{position}"]').click()
    expect(_slot(page, position)).to_be_visible()


def _saved(page, position: int, seq: str = "1"):
    expect(_slot(page, position).locator("[data-seq]")).to_have_value(seq)


def _tap_right_edge(box) -> None:
    """Tap the empty right-hand end of an option's box, past its text."""
    size = box.bounding_box()
    box.click(position={"x": size["width"] - 6, "y": size["height"] / 2})


def _start_exam(page) -> None:
    page.goto("/quizzes/")
    page.get_by_test_id("quiz-card").filter(has_text=EXAM_TITLE).click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+$"))
    page.get_by_test_id("start-attempt").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+(#q\d+)?$"))
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()


def test_the_whole_option_box_is_the_tap_target(new_page):
    # Members of the demo branch who have not taken the exam (its takers are dy001–dy007).
    page = reset_and_login(new_page, "dy009", PHONE)
    _start_exam(page)

    boxes = _slot(page, SINGLE).locator(".answer-option")
    _tap_right_edge(boxes.nth(1))
    expect(boxes.nth(1).locator("input")).to_be_checked()
    expect(boxes.nth(1)).to_have_css("background-color", PARTY_SOFT)
    expect(boxes.nth(1)).to_have_css("border-top-color", PARTY)
    expect(boxes.nth(0)).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    _saved(page, SINGLE)
    # The keyboard moves the choice: the focused option's box carries the focus ring.
    page.keyboard.press("ArrowDown")
    expect(boxes.nth(2).locator("input")).to_be_checked()
    expect(boxes.nth(2).locator("input")).to_be_focused()
    expect(boxes.nth(2)).to_have_css("box-shadow", re.compile(r"rgba\(179, 38, 30"))
    expect(boxes.nth(1)).to_have_css("box-shadow", "none")
    _saved(page, SINGLE, "2")
    shot(page, "quiz-option-boxes")

    _go(page, MULTIPLE)
    boxes = _slot(page, MULTIPLE).locator(".answer-option")
    _tap_right_edge(boxes.nth(0))
    _tap_right_edge(boxes.nth(2))
    _tap_right_edge(boxes.nth(0))
    expect(boxes.nth(0).locator("input")).not_to_be_checked()
    expect(boxes.nth(2).locator("input")).to_be_checked()
    expect(boxes.nth(2)).to_have_css("background-color", PARTY_SOFT)
    expect(_slot(page, MULTIPLE).locator("[data-seq]")).not_to_have_value("0")
    shot(page, "quiz-option-boxes-multiple")

    _go(page, JUDGE)
    choices = _slot(page, JUDGE).locator(".judge-choice")
    _tap_right_edge(choices.nth(1))
    expect(_slot(page, JUDGE).locator("input[type=radio]").nth(1)).to_be_checked()
    expect(choices.nth(1)).to_have_css("background-color", PARTY_SOFT)
    _saved(page, JUDGE)
    # Both choices are comfortable targets, side by side across the row.
    for index in range(2):
        size = choices.nth(index).bounding_box()
        assert size["height"] >= 44
        assert size["width"] >= 120
    page.keyboard.press("ArrowLeft")
    expect(_slot(page, JUDGE).locator("input[type=radio]").nth(0)).to_be_checked()
    expect(choices.nth(0)).to_have_css("box-shadow", re.compile(r"rgba\(179, 38, 30"))
    expect(choices.nth(0)).to_have_css("background-color", PARTY_SOFT)
    expect(choices.nth(1)).to_have_css("background-color", "rgb(255, 255, 255)")
    shot(page, "quiz-judge-boxes")


def test_time_up_offline_freezes_the_answers_and_sends_them_when_back(new_page):
    page = reset_and_login(new_page, "dy010", PHONE)
    page.clock.install()
    _start_exam(page)
    # A fill-in saved while typing; the field keeps the focus.
    _go(page, FILL)
    _slot(page, FILL).locator("input[type=text]").first.fill("中国共产党")
    _saved(page, FILL)

    # The network drops. Moving on (the field's change event) does not count the saved answer
    # again: one new answer is one answer waiting.
    page.context.set_offline(True)
    _go(page, SINGLE)
    _slot(page, SINGLE).locator(".answer-option").nth(1).click()
    expect(_slot(page, SINGLE).locator(".answer-option").nth(1).locator("input")).to_be_checked()
    expect(page.get_by_test_id("save-state")).to_have_text(re.compile(r"[:：]\s*1$"))
    expect(page.get_by_test_id("quiz-taker")).to_have_class(re.compile("quiz-offline"))
    _saved(page, SINGLE, "0")
    _saved(page, FILL)

    # Time runs out while offline: the notice is at the top where the member sees it, and the
    # answers can no longer be changed.
    page.clock.fast_forward("31:00")
    notice = page.get_by_test_id("time-up")
    expect(notice).to_be_visible()
    expect(notice).to_be_in_viewport()
    expect(notice).to_have_attribute("role", "alert")
    # The countdown beside it is red from the last minute on.
    expect(page.get_by_test_id("countdown")).to_have_text("0:00")
    expect(page.get_by_test_id("countdown")).to_have_css("background-color", "rgb(220, 53, 69)")
    expect(notice).to_have_text("时间到，答案已不能再修改，网络恢复后将立即提交。")
    expect(_slot(page, SINGLE).locator("fieldset")).to_have_js_property("disabled", True)
    for box in _slot(page, SINGLE).locator("input[type=radio]").all():
        expect(box).to_be_disabled()
    expect(page.get_by_test_id("submit-attempt")).to_be_disabled()
    expect(page.get_by_test_id("save-answers")).to_be_disabled()
    expect(_slot(page, SINGLE).locator(".answer-option").nth(1).locator("input")).to_be_checked()
    shot(page, "quiz-time-up-offline")
    # The other questions can still be looked at, not changed.
    _go(page, FILL)
    expect(_slot(page, FILL).locator("input[type=text]").first).to_be_disabled()
    expect(notice).to_be_in_viewport()

    # The network is back: the page submits the answers it held, the one made offline too.
    page.context.set_offline(False)
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    result_url = page.url
    # Its answers are shown once the second attempt is used.
    _start_exam(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit-attempt").click()
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    page.goto(result_url)
    items = page.get_by_test_id("review-item")
    expect(items.nth(SINGLE - 1)).to_contain_text("您的选择")
    expect(items.nth(FILL - 1).get_by_test_id("review-answer")).to_contain_text("中国共产党")


def test_submitting_offline_waits_for_the_network_and_then_submits(new_page):
    page = reset_and_login(new_page, "dy011", PHONE)
    _start_exam(page)
    taking_url = page.url.split("#")[0]
    _slot(page, SINGLE).locator(".answer-option").nth(1).click()
    _saved(page, SINGLE)

    # Offline, the member changes an answer: it waits in the queue.
    page.context.set_offline(True)
    _go(page, JUDGE)
    _slot(page, JUDGE).locator(".judge-choice").nth(1).click()
    waiting = re.compile(r"[:：]\s*1$")
    expect(page.get_by_test_id("save-state")).to_have_text(waiting)
    # Saving the form offline leaves the answer in the queue: the page stays.
    page.get_by_test_id("save-answers").click()
    expect(page.get_by_test_id("save-state")).to_have_text(waiting)
    assert page.url.startswith(taking_url)

    # 交卷 offline: the member confirms (an answer is not saved yet), then the submission waits
    # for the network, said at the top of the screen, with the answers frozen.
    confirmed = []

    def accept(dialog):
        confirmed.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_test_id("submit-attempt").click()
    notice = page.get_by_test_id("time-up")
    expect(notice).to_have_text("网络已断开，答案已不能再修改，网络恢复后将立即提交。")
    expect(notice).to_be_in_viewport()
    expect(notice).to_have_attribute("role", "alert")
    assert "部分答案尚未保存" in confirmed[0]
    assert page.url.startswith(taking_url)
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()
    expect(_slot(page, JUDGE).locator("fieldset")).to_have_js_property("disabled", True)
    expect(page.get_by_test_id("submit-attempt")).to_be_disabled()
    expect(page.get_by_test_id("save-answers")).to_be_disabled()
    expect(_slot(page, JUDGE).locator("input[type=radio]").nth(1)).to_be_checked()
    shot(page, "quiz-submit-offline")

    # The network is back: the page submits, the answer made offline with the others.
    page.context.set_offline(False)
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    result_url = page.url
    # Its answers are shown once the second attempt is used.
    _start_exam(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit-attempt").click()
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    page.goto(result_url)
    items = page.get_by_test_id("review-item")
    expect(items.nth(SINGLE - 1)).to_contain_text("您的选择")
    expect(items.nth(JUDGE - 1).get_by_test_id("review-answer")).not_to_have_text("—")


def _deadline_passes_and_the_job_runs(app, attempt_id: int) -> None:
    """The server's clock is the wall clock, so the attempt's deadline is moved back instead:
    its deadline and grace passed 25 s ago. Then the scheduled job runs, as it does every
    minute, and finishes the attempt with the answers it saved."""
    with app.app_context():
        with get_db().session_scope() as session:
            attempt = session.get(Attempt, attempt_id)
            attempt.deadline_at = now() - timedelta(seconds=attempt.grace_seconds + 25)
        run_job("quizzes.finish_overdue")
        with get_db().session_scope() as session:
            assert session.get(Attempt, attempt_id).finished_by == FinishedBy.JOB


def _log(app, attempt_id: int) -> list[tuple[int, AnswerOutcome]]:
    with app.app_context(), get_db().session_scope() as session:
        return session.execute(
            sa.select(AnswerLog.position, AnswerLog.outcome)
            .where(AnswerLog.attempt_id == attempt_id)
            .order_by(AnswerLog.id)
        ).all()


def test_answers_back_after_the_job_closed_the_attempt_are_recorded_and_told(new_page, live_app):
    page = reset_and_login(new_page, "dy013", PHONE)
    page.clock.install()
    _start_exam(page)
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    _slot(page, SINGLE).locator(".answer-option").nth(1).click()
    _saved(page, SINGLE)
    _go(page, JUDGE)
    _slot(page, JUDGE).locator(".judge-choice").nth(0).click()
    _saved(page, JUDGE)

    # The network drops: two more answers wait in the queue.
    page.context.set_offline(True)
    _go(page, SINGLE + 1)
    _slot(page, SINGLE + 1).locator(".answer-option").nth(1).click()
    _go(page, JUDGE + 1)
    _slot(page, JUDGE + 1).locator(".judge-choice").nth(1).click()
    expect(page.get_by_test_id("save-state")).to_have_text("网络已断开，待发送的答案：2")

    # On the server the deadline and grace pass and the job finishes the attempt; on the page
    # the countdown reaches zero while it is still offline.
    _deadline_passes_and_the_job_runs(live_app, attempt_id)
    page.clock.fast_forward("31:00")
    notice = page.get_by_test_id("time-up")
    expect(notice).to_have_text("时间到，答案已不能再修改，网络恢复后将立即提交。")

    # The network is back: the queued answers reach the server too late. They are recorded as
    # late, not counted, and the result says so.
    page.context.set_offline(False)
    expect(page.get_by_test_id("refused-late")).to_have_text(
        "有 2 个答案在作答时限（含宽限时间）结束后才送达服务器，已记录，但未计入成绩。"
    )
    shot(page, "quiz-late-answers")
    saved, late = AnswerOutcome.SAVED, AnswerOutcome.LATE
    assert _log(live_app, attempt_id) == [
        (SINGLE, saved),
        (JUDGE, saved),
        (SINGLE + 1, late),
        (JUDGE + 1, late),
    ]

    # The branch secretary sees them on the exam report.
    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/quizzes/manage")
    secretary.get_by_role("link", name=EXAM_TITLE, exact=True).click()
    expect(secretary).to_have_url(re.compile(r"/quizzes/manage/\d+$"))
    secretary.get_by_test_id("report-link").click()
    expect(secretary).to_have_url(re.compile(r"/quizzes/manage/\d+/report$"))
    rows = secretary.locator(f'[data-testid="refused-answer"][data-attempt="{attempt_id}"]')
    expect(rows).to_have_count(2)
    expect(rows.get_by_test_id("refused-reason")).to_have_text(["超过作答时限", "超过作答时限"])
    shot(secretary, "quiz-report-late-answers")
