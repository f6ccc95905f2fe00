"""纠错: members report faulty questions they may review; bank staff close the reports."""

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.inbox import items_for
from learnapp.orgs.models import Role
from learnapp.question_bank.models import Question, QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.models import FinishedBy, QuestionReport, ReleasePolicy, ReportState
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.reports import close_report, report_question, reports_for
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.question_bank.factories import make_bank
from tests.quizzes.helpers import DRAFTS, Paper, make_paper, make_quiz


def _finished(session, world, **overrides):
    # One attempt: its result shows the questions at once.
    quiz = make_quiz(
        session,
        world.root,
        make_paper(session, types=("single", "judge")),
        **{"attempts_allowed": 1, **overrides},
    )
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return attempt


def test_a_report_is_stored_once_and_leaves_the_question_alone(app, session, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world)
        version = slots_of(session, attempt)[0].version
        report = report_question(session, world.member_a, version, "  选项B也对  ", FIXED_NOW)
        assert report.text == "选项B也对" and report.state == ReportState.OPEN
        with pytest.raises(DomainError, match="already reported"):
            report_question(session, world.member_a, version, "再报一次", FIXED_NOW)
        for text in ("", "   ", "x" * 1001):
            with pytest.raises(DomainError):
                report_question(session, world.member_b, version, text, FIXED_NOW)
        assert session.scalar(sa.select(sa.func.count()).select_from(QuestionReport)) == 1
        # A member's report never pulls the question out of live papers.
        assert session.get(Question, version.question_id).status == QuestionStatus.ACTIVE


def test_closing_a_report_is_audited_and_happens_once(app, session, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world)
        report = report_question(
            session, world.member_a, slots_of(session, attempt)[0].version, "答案有误", FIXED_NOW
        )
        with pytest.raises(DomainError):
            close_report(session, world.admin, report, ReportState.OPEN, "", FIXED_NOW)
        close_report(session, world.admin, report, ReportState.RESOLVED, "已改正", FIXED_NOW)
        assert report.state == ReportState.RESOLVED and report.resolved_by_id == world.admin.id
        with pytest.raises(DomainError, match="already been closed"):
            close_report(session, world.admin, report, ReportState.DISMISSED, "", FIXED_NOW)
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "quiz.question_report_closed")
        ).one()
        assert entry.after["state"] == "resolved" and entry.after["note"] == "已改正"


def test_staff_see_reports_of_the_banks_they_reach_only(app, session, world):
    outsider = make_user(
        session, username="editb", unit=world.branch_b, roles=((Role.BANK_EDITOR, world.branch_b),)
    )
    bank = make_bank(session, unit=world.branch_a, two_person_review=False)
    question = add_question(session, None, bank, DRAFTS[0], FIXED_NOW, QuestionStatus.ACTIVE)
    with app.test_request_context(), force_locale("en"):
        quiz = make_quiz(session, world.root, Paper(bank, [question]))
        attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
        report_question(session, world.member_a, question.current_version, "错字", FIXED_NOW)
        assert [r.question_id for r in reports_for(session, world.admin)] == [question.id]
        assert reports_for(session, outsider) == []
        kinds = [item.kind for item in items_for(session, world.admin)]
        assert "quiz-question-reports" in kinds
        assert "quiz-question-reports" not in [i.kind for i in items_for(session, outsider)]


def _report_box(page: str, key: str) -> str:
    """The 纠错 box `key` of a page: its <details> element."""
    end = page.index(f'id="report-{key}"')
    start = page.rindex("<details", 0, end)
    return page[start : page.index("</details>", end)]


def test_member_reports_from_a_result_they_may_review(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world)
    with app.test_request_context():
        say_what = gettext("Say what is wrong with the question.")
    session.commit()
    path = f"/quizzes/attempts/{attempt.id}/items/1/report"
    auth.login("memb")
    assert auth.post(path, {"text": "别人的"}).status_code == 404  # not their attempt
    auth.logout()
    auth.login("mema")
    for typed in ("", "   "):
        empty = auth.post(path, {"text": typed})
        assert empty.status_code == 400
        box = _report_box(empty.get_data(as_text=True), "1")
        assert box.startswith("<details") and " open>" in box.split("\n")[0]
        assert "is-invalid" in box and "autofocus" in box
        assert 'data-testid="report-error">' + say_what + "<" in box
    assert (
        auth.post(f"/quizzes/attempts/{attempt.id}/items/9/report", {"text": "x"}).status_code
        == 404
    )
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(QuestionReport)) == 0
    sent = auth.post(path, {"text": "选项表述不清"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#item-1")
    page = auth.client.get(f"/quizzes/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="reported"' in page
    reload(session)
    report = session.scalars(sa.select(QuestionReport)).one()
    assert report.member_id == world.member_a.id and report.text == "选项表述不清"


def test_no_report_before_the_review_opens(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world, release=ReleasePolicy.NEVER)
    session.commit()
    auth.login("mema")
    path = f"/quizzes/attempts/{attempt.id}/items/1/report"
    assert auth.post(path, {"text": "答案呢"}).status_code == 404
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(QuestionReport)) == 0


def test_no_report_from_an_exam_that_can_still_be_answered(app, session, auth, world):
    # Released at once, but a second attempt is left: the questions are not shown yet, and the
    # report route must not be a way to reach them.
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world, attempts_allowed=2)
    session.commit()
    auth.login("mema")
    path = f"/quizzes/attempts/{attempt.id}/items/1/report"
    assert auth.post(path, {"text": "答案呢"}).status_code == 404
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(QuestionReport)) == 0


def test_member_reports_from_the_wrong_answer_book(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        _finished(session, world)
    session.commit()
    auth.login("mema")
    book = auth.client.get("/quizzes/wrong-book").get_data(as_text=True)
    entry_id = int(re.search(r"/quizzes/wrong-book/(\d+)/report", book).group(1))
    auth.logout()
    auth.login("memb")
    assert auth.post(f"/quizzes/wrong-book/{entry_id}/report", {"text": "x"}).status_code == 404
    auth.logout()
    auth.login("mema")
    assert (
        auth.post(f"/quizzes/wrong-book/{entry_id}/report", {"text": "题干有歧义"}).status_code
        == 302
    )
    reload(session)
    assert session.scalars(sa.select(QuestionReport.text)).one() == "题干有歧义"


def test_report_queue_routes_for_bank_staff_only(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world)
        report = report_question(
            session, world.member_a, slots_of(session, attempt)[0].version, "答案有误", FIXED_NOW
        )
    session.commit()
    for username in ("mema", "seca"):
        auth.login(username)
        assert auth.client.get("/quizzes/reports").status_code == 403
        assert auth.post(f"/quizzes/reports/{report.id}", {"state": "resolved"}).status_code == 403
        auth.logout()
    auth.login("admin")
    listing = auth.client.get("/quizzes/reports").get_data(as_text=True)
    assert "答案有误" in listing and world.member_a.display_name not in listing
    bad = auth.post(f"/quizzes/reports/{report.id}", {"state": "open"}, follow_redirects=True)
    assert "alert-danger" in bad.get_data(as_text=True)
    reload(session)
    assert session.get(QuestionReport, report.id).state == ReportState.OPEN
    assert auth.post("/quizzes/reports/999999", {"state": "resolved"}).status_code == 404
    closed = auth.post(f"/quizzes/reports/{report.id}", {"state": "dismissed", "note": "无误"})
    assert closed.status_code == 302
    reload(session)
    assert session.get(QuestionReport, report.id).state == ReportState.DISMISSED


def test_a_refused_report_keeps_the_box_open_with_the_text_and_the_reason(
    app, session, auth, world
):
    """The reason is inside the box that was sent, never only at the top of the page, and what
    was typed is still there; the other boxes stay closed. Nothing is stored."""
    with app.test_request_context(), force_locale("en"):
        _finished(session, world)
    with app.test_request_context():
        too_long = gettext("At most 1000 characters.")
        say_what = gettext("Say what is wrong with the question.")
    session.commit()
    auth.login("mema")
    book = auth.client.get("/quizzes/wrong-book").get_data(as_text=True)
    entry_ids = [int(i) for i in re.findall(r"/quizzes/wrong-book/(\d+)/report", book)]
    assert len(entry_ids) == 2
    typed = "题干" * 501
    refused = auth.post(f"/quizzes/wrong-book/{entry_ids[1]}/report", {"text": typed})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    box = _report_box(page, f"w{entry_ids[1]}")
    assert " open>" in box.split("\n")[0] and "autofocus" in box
    assert f">{typed}</textarea>" in box
    assert 'data-testid="report-error">' + too_long + "<" in box
    other = _report_box(page, f"w{entry_ids[0]}")
    assert " open>" not in other.split("\n")[0] and "report-error" not in other
    assert "alert-danger" not in page  # no message at the top of the page
    empty = auth.post(f"/quizzes/wrong-book/{entry_ids[0]}/report", {"text": ""})
    assert empty.status_code == 400
    assert say_what in _report_box(empty.get_data(as_text=True), f"w{entry_ids[0]}")
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(QuestionReport)) == 0


def test_closing_a_report_needs_an_outcome_chosen(app, session, auth, world):
    """The outcome starts empty: closing without choosing one is refused and the report stays
    open, never closed as corrected by default."""
    with app.test_request_context():
        attempt = _finished(session, world)
        report = report_question(
            session, world.member_a, slots_of(session, attempt)[0].version, "答案有误", FIXED_NOW
        )
        choose = gettext("Choose corrected or dismissed.")
    session.commit()
    auth.login("admin")
    listing = auth.client.get("/quizzes/reports").get_data(as_text=True)
    select = re.search(r"<select[^>]*name=\"state\".*?</select>", listing, re.S).group(0)
    # The empty choice comes first and nothing else is preselected.
    assert re.findall(r"<option[^>]*>", select)[0] in (
        '<option value="">',
        '<option selected value="">',
    )
    assert "selected" not in select.split("</option>", 1)[1]
    for posted in ({"note": "看过了"}, {"state": "", "note": "看过了"}):
        refused = auth.post(f"/quizzes/reports/{report.id}", posted, follow_redirects=True)
        assert choose in refused.get_data(as_text=True)
    reload(session)
    stored = session.get(QuestionReport, report.id)
    assert (stored.state, stored.resolution_note) == (ReportState.OPEN, "")
    assert not session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "quiz.question_report_closed")
    ).all()
