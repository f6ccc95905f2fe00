"""Quizzes in a real browser: at phone size the demo member takes an exam, loses the network
for a moment without losing an answer, submits and, once the secretary has marked the short
answer, sees the result, whose answers wait until the second attempt is used; the exam report
shows item statistics; a secretary authors a quiz; the member does the daily questions and finds
the wrong ones in the 错题本. Each exam journey has an exam of its own (`own_exam`, a copy of the
demo exam): its attempts and members' own terms are no other test's."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

QUIZ_PAGE = re.compile(r"/quizzes/\d+$")
TAKING = re.compile(r"/quizzes/attempts/\d+(#q\d+)?$")
RESULT = re.compile(r"/quizzes/attempts/\d+/result$")


def _slot(page, position: int):
    return page.locator(f'[data-slot="{position}"]')


def _saved(page, position: int, seq: str = "1"):
    expect(_slot(page, position).locator("[data-seq]")).to_have_value(seq)


def _answer(page, position: int) -> None:
    """Give some answer to the question at `position`, whatever its type."""
    slot = _slot(page, position)
    kind = slot.get_attribute("data-type")
    if kind in ("single", "multiple"):
        slot.locator(".form-check-label").first.click()
    elif kind == "judge":
        slot.locator(".judge-choice").first.click()
    elif kind == "fill":
        slot.locator("input[type=text]").first.fill("中国共产党")
        slot.locator("input[type=text]").first.blur()
    else:
        slot.locator("textarea").fill(
            "坚持学以致用，理论联系实际，把学习成果转化为推动工作的实际成效。"
        )
        slot.locator("textarea").blur()


def _open_exam(page, title: str) -> None:
    """The exam's page, from the member's quiz list."""
    page.goto("/quizzes/")
    page.get_by_test_id("quiz-card").filter(has_text=title).click()
    expect(page).to_have_url(QUIZ_PAGE)


def _start(page, title: str) -> None:
    """Start (or resume) an attempt of the exam and wait for the taking screen."""
    _open_exam(page, title)
    page.locator('[data-testid="start-attempt"], [data-testid="resume-attempt"]').click()
    expect(page).to_have_url(TAKING)
    expect(page.get_by_test_id("quiz-taker")).to_be_visible()


def _submit(page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit-attempt").click()
    expect(page).to_have_url(RESULT)


def _manage(page, title: str) -> None:
    """The exam's management page, from the secretary's list."""
    page.goto("/quizzes/manage")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(r"/quizzes/manage/\d+$"))


def _overrides(page, title: str) -> None:
    """The exam's 个别延期与补考 page."""
    _manage(page, title)
    page.get_by_test_id("overrides-link").click()
    expect(page).to_have_url(re.compile(r"/quizzes/manage/\d+/overrides$"))


def test_member_takes_the_exam_offline_moment_marking_and_report(new_page, own_exam):
    page = new_page(PHONE)
    login(page, "demo-member")
    page.goto("/quizzes/")
    shot(page, "quiz-list")
    _start(page, own_exam)
    expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    # One question per screen on a phone.
    expect(_slot(page, 1)).to_be_visible()
    expect(_slot(page, 2)).to_be_hidden()
    _answer(page, 1)
    _saved(page, 1)
    shot(page, "quiz-take")
    page.locator('[data-slot="1"] [data-step="1"]').click()
    _answer(page, 2)
    _saved(page, 2)

    # The network drops: the answer waits in the queue and is sent when it comes back.
    page.context.set_offline(True)
    page.locator('[data-nav-to="3"]').click()
    _answer(page, 3)
    expect(page.get_by_test_id("quiz-taker")).to_have_class(re.compile("quiz-offline"))
    shot(page, "quiz-offline")
    # The page is reloaded before the queue could drain (the save route still fails): the
    # answer comes back from the tab's storage and is sent once saving works again.
    page.route("**/answers", lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    expect(_slot(page, 3).locator("input:checked")).to_have_count(1)
    expect(page.get_by_test_id("quiz-taker")).to_have_class(re.compile("quiz-offline"))
    _saved(page, 3, "0")
    page.unroute("**/answers")
    # The queue retries with a growing pause (at most 15 s).
    expect(_slot(page, 3).locator("[data-seq]")).to_have_value("1", timeout=20_000)

    count = page.locator("[data-slot]").count()
    for position in range(4, count + 1):
        page.locator(f'[data-nav-to="{position}"]').click()
        _answer(page, position)
        _saved(page, position)
    # Nothing was lost: after a reload every answer comes back from the server.
    page.reload()
    expect(page.locator(".quiz-nav-item.answered")).to_have_count(count)
    _submit(page)
    expect(page.get_by_test_id("awaiting-marking")).to_be_visible()
    result_url = page.url
    shot(page, "quiz-awaiting-marking")

    # The secretary may still take this exam himself: its answers wait, and the queue says why.
    secretary = new_page(PHONE)
    login(secretary, "demo-secretary")
    secretary.goto("/quizzes/marking")
    expect(secretary.get_by_test_id("marking-held")).to_contain_text(own_exam)
    expect(secretary.get_by_test_id("marking-item").filter(has_text=own_exam)).to_have_count(0)
    shot(secretary, "quiz-marking-held")

    marker = new_page(PHONE)
    login(marker, "demo-admin")
    marker.goto("/quizzes/marking")
    # The queue holds this exam's answers among any others': only this exam's are marked here.
    items = marker.get_by_test_id("marking-item").filter(has_text=own_exam)
    expect(items.first).to_be_visible()
    shot(marker, "quiz-marking-queue")
    for _ in range(items.count()):
        items.first.click()
        expect(marker).to_have_url(re.compile(r"/quizzes/marking/\d+$"))
        expect(marker.get_by_test_id("answer-text")).to_be_visible()
        shot(marker, "quiz-mark")
        marker.fill("input[name=points]", "3")
        marker.fill("textarea[name=comment]", "要点基本齐全")
        marker.get_by_test_id("save-mark").click()
        expect(marker).to_have_url(re.compile(r"/quizzes/marking$"))
    expect(items).to_have_count(0)

    page.goto(result_url)
    expect(page.get_by_test_id("result-percent")).to_be_visible()
    # A second attempt asks the same questions: until it is used, the answers wait.
    expect(page.get_by_test_id("answers-withheld")).to_be_visible()
    expect(page.get_by_test_id("review-item")).to_have_count(0)
    shot(page, "quiz-result-answers-withheld")
    _start(page, own_exam)
    _submit(page)
    expect(page.get_by_test_id("review-item").first).to_be_visible()
    page.goto(result_url)
    expect(page.get_by_test_id("answers-withheld")).to_have_count(0)
    expect(page.get_by_test_id("review-item").first).to_be_visible()
    shot(page, "quiz-result")

    # 纠错: the member reports a question from the result; a bank editor closes the report.
    first = page.get_by_test_id("review-item").first
    first.get_by_test_id("report-question").click()
    first.locator("textarea[name=text]").fill("题干中“党的最高领导机关”表述与党章原文不一致")
    first.get_by_test_id("send-report").click()
    expect(page.get_by_test_id("reported")).to_be_visible()
    shot(page, "quiz-reported")
    editor = new_page(DESKTOP)
    login(editor, "demo-editor")
    editor.goto("/quizzes/reports")
    report = editor.get_by_test_id("question-report").filter(has_text="表述与党章原文不一致")
    expect(report).to_be_visible()
    shot(editor, "quiz-question-reports")
    report.locator("textarea[name=note]").fill("已核对原文并更正")
    # No outcome is preselected: closing without one is refused and the report stays open.
    report.get_by_test_id("close-report").click()
    expect(editor.locator(".alert-danger")).to_be_visible()
    expect(report.locator("form")).to_have_count(1)
    report.locator("select[name=state]").select_option("resolved")
    report.locator("textarea[name=note]").fill("已核对原文并更正")
    report.get_by_test_id("close-report").click()
    expect(report.locator("form")).to_have_count(0)
    expect(report).to_contain_text("已核对原文并更正")

    desk = new_page(DESKTOP)
    login(desk, "demo-secretary")
    # The secretary is a member of the demo branch too: the taking screen at desktop width.
    _start(desk, own_exam)
    _answer(desk, 1)
    _saved(desk, 1)
    shot(desk, "quiz-take")
    _manage(desk, own_exam)
    desk.get_by_test_id("report-link").click()
    expect(desk).to_have_url(re.compile(r"/quizzes/manage/\d+/report$"))
    expect(desk.get_by_test_id("item-stats").locator("tbody tr, tr").nth(1)).to_be_visible()
    expect(desk.get_by_test_id("report-attempts")).to_contain_text("李晓燕")
    shot(desk, "quiz-report")
    marker.goto(desk.url)
    expect(marker.get_by_test_id("item-stats")).to_be_visible()
    shot(marker, "quiz-report")


def test_time_is_up_submits_the_answers_on_the_page(new_page, own_exam):
    """The browser's clock runs to the deadline (Playwright's fake clock): the page says time is
    up and submits itself with the answers it holds; the server grades them."""
    page = new_page(PHONE)
    page.clock.install()
    login(page, "demo-member")
    _start(page, own_exam)
    _answer(page, 1)
    _saved(page, 1)
    page.clock.fast_forward("31:00")
    expect(page).to_have_url(RESULT)
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    shot(page, "quiz-time-up")


def test_secretary_authors_previews_and_publishes_a_quiz(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    page.goto("/quizzes/manage")
    page.get_by_test_id("new-quiz").click()
    page.fill("input[name=title]", "支部专题小测")
    page.select_option("select[name=kind]", "topic")
    page.fill("input[name=duration_minutes]", "0")
    page.get_by_test_id("save-quiz").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    shot(page, "quiz-form-error")
    page.fill("input[name=duration_minutes]", "15")
    page.get_by_test_id("save-quiz").click()
    expect(page.get_by_test_id("quiz-state")).to_be_visible()
    expect(page.get_by_test_id("paper-problem")).to_be_visible()
    picker = page.get_by_test_id("question-picker")
    for index in range(3):
        picker.locator("input[type=checkbox]").nth(index).check()
    page.get_by_test_id("add-questions").click()
    expect(page.get_by_test_id("paper-items").locator("li")).to_have_count(3)
    # A topic set has 5 or 10 questions: three cannot be published yet.
    expect(page.get_by_test_id("paper-problem")).to_be_visible()
    picker = page.get_by_test_id("question-picker")
    for index in range(3, 5):
        picker.locator("input[type=checkbox]").nth(index).check()
    page.get_by_test_id("add-questions").click()
    expect(page.get_by_test_id("paper-items").locator("li")).to_have_count(5)
    expect(page.get_by_test_id("paper-problem")).to_have_count(0)
    shot(page, "quiz-manage")
    page.get_by_test_id("preview-link").click()
    expect(page.get_by_test_id("preview").locator("section")).to_have_count(5)
    shot(page, "quiz-preview")
    page.go_back()
    page.get_by_test_id("publish-quiz").click()
    expect(page.get_by_test_id("quiz-state")).not_to_have_text("Draft")

    phone = new_page(PHONE)
    login(phone, "demo-secretary")
    phone.goto("/quizzes/manage")
    shot(phone, "quiz-manage-list")


def test_member_does_the_daily_questions_and_sees_the_wrong_answer_book(new_page):
    page = new_page(PHONE)
    login(page, "demo-member")
    page.goto("/quizzes/")
    daily = page.get_by_test_id("quiz-card").filter(has_text="每日答题")
    expect(daily.get_by_test_id("daily-state")).to_have_text("今日题目待完成")
    daily.click()
    expect(page).to_have_url(QUIZ_PAGE)
    page.get_by_test_id("start-attempt").click()
    expect(page).to_have_url(TAKING)
    expect(page.locator("[data-slot]").first).to_be_attached()
    count = page.locator("[data-slot]").count()
    assert count == 5
    for position in range(1, count + 1):
        page.locator(f'[data-nav-to="{position}"]').click()
        _answer(page, position)
        _saved(page, position)
        if _slot(page, position).get_attribute("data-type") == "judge":
            # The chosen true/false button looks chosen, as a chosen option does: the soft
            # party fill, while the other stays plain.
            chosen = _slot(page, position).locator(".judge-choice").first
            other = _slot(page, position).locator(".judge-choice").nth(1)
            expect(chosen).to_have_css("background-color", "rgb(251, 236, 235)")
            expect(other).to_have_css("background-color", "rgb(255, 255, 255)")
            shot(page, "quiz-judge-chosen")
    _submit(page)
    expect(page.get_by_test_id("result-percent")).to_be_visible()
    shot(page, "quiz-daily-result")
    page.goto("/quizzes/")
    expect(daily.get_by_test_id("daily-state")).to_have_text("今日已完成")
    shot(page, "quiz-list-after-daily")
    # The daily page says today's questions are done, with the score, instead of a start button.
    daily.click()
    expect(page).to_have_url(QUIZ_PAGE)
    expect(page.get_by_test_id("daily-done")).to_be_visible()
    expect(page.get_by_test_id("daily-score")).to_be_visible()
    expect(page.get_by_test_id("start-attempt")).to_have_count(0)
    shot(page, "quiz-daily-done")
    page.goto("/quizzes/wrong-book")
    expect(page.get_by_test_id("wrong-book")).to_be_visible()
    # Practice releases its answers at once: the wrong answers come with their keys.
    expect(page.get_by_test_id("wrong-review").first).to_be_visible()
    expect(page.get_by_test_id("next-review").first).to_contain_text("2")
    shot(page, "quiz-wrong-book")


def test_secretary_gives_a_member_own_terms_and_the_member_sees_them(new_page, own_exam):
    """E3: a member on a business trip gets a later close and one more attempt for the exam."""
    page = new_page(PHONE)
    login(page, "demo-secretary")
    _overrides(page, own_exam)
    expect(page.get_by_test_id("override-list")).to_be_visible()
    page.fill("input[name=username]", "demo-member")
    page.fill("textarea[name=reason]", "出差在外，考试窗口内无法参加")
    page.get_by_test_id("save-override").click()
    # Nothing to change was given: the form says so and keeps what was typed.
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value("demo-member")
    shot(page, "quiz-overrides-error")
    page.fill("input[name=closes_at]", "2030-06-30T18:00")
    page.fill("input[name=attempts_allowed]", "3")
    page.get_by_test_id("save-override").click()
    row = page.get_by_test_id("override-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2030-06-30 18:00")
    expect(row).to_contain_text("出差在外")
    shot(page, "quiz-overrides")

    member = new_page(PHONE)
    login(member, "demo-member")
    _open_exam(member, own_exam)
    expect(member.get_by_test_id("own-terms")).to_be_visible()
    expect(member.get_by_test_id("quiz-closes")).to_have_text("2030-06-30 18:00")
    expect(member.get_by_test_id("attempts-allowed")).to_contain_text("3")
    shot(member, "quiz-own-terms")

    desktop = new_page(DESKTOP)
    login(desktop, "demo-secretary")
    _overrides(desktop, own_exam)
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_test_id("remove-override").click()
    expect(desktop.get_by_test_id("override-row")).to_have_count(0)
    shot(desktop, "quiz-overrides-withdrawn")


def _member_terms(page, title: str, **fields) -> None:
    """On the exam's 个别延期与补考 page, set demo-member's terms."""
    _overrides(page, title)
    page.fill("input[name=username]", "demo-member")
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.fill("textarea[name=reason]", "网络故障，延长答题时间")
    page.get_by_test_id("save-override").click()
    expect(page.get_by_test_id("override-row")).to_have_count(1)


def test_a_member_given_more_time_during_the_exam_keeps_answering(new_page, own_exam):
    """The page's countdown reaches zero, but the organisers gave the member more time since
    the page was loaded: the page learns the new deadline from the server and carries on."""
    member = new_page(PHONE)
    member.clock.install()
    login(member, "demo-member")
    _start(member, own_exam)
    _answer(member, 1)
    _saved(member, 1)

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    _member_terms(secretary, own_exam, duration_minutes="60")
    member.clock.fast_forward("31:00")
    expect(member.get_by_test_id("time-up")).to_be_visible()
    expect(member.get_by_test_id("countdown")).to_have_text(re.compile(r"^2\d:\d\d$"))
    expect(member.get_by_test_id("quiz-taker")).to_be_visible()
    shot(member, "quiz-more-time")

    # Once the new deadline passes too, time is up as usual.
    member.clock.fast_forward("30:00")
    expect(member).to_have_url(RESULT)
    expect(member.get_by_test_id("result-summary")).to_be_visible()
