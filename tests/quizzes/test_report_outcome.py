"""纠错 afterwards: the member who reported a question is told when it is closed, and their
错题本 and result page say what came of it, with the editor's note."""

import re

import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.notifications.models import Notification
from learnapp.quizzes.models import QuestionReport, ReportState
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.reports import close_report, report_question
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take
from tests.quizzes.test_reports import _finished


def _page(auth, path) -> str:
    return auth.client.get(path).get_data(as_text=True)


def test_the_member_sees_a_dismissed_report_and_the_note(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        attempt = _finished(session, world)  # nothing answered: both in the 错题本
    session.commit()
    auth.login("mema")
    book = _page(auth, "/quizzes/wrong-book")
    entry_id = re.search(r"/quizzes/wrong-book/(\d+)/report", book).group(1)
    assert (
        auth.post(f"/quizzes/wrong-book/{entry_id}/report", {"text": "答案有误"}).status_code == 302
    )
    book = _page(auth, "/quizzes/wrong-book")
    assert "您已反馈这道题，谢谢。" in book and 'data-testid="report-note"' not in book
    reload(session)
    report = session.scalars(sa.select(QuestionReport)).one()
    with app.test_request_context():
        close_report(session, world.admin, report, ReportState.DISMISSED, "答案B正确", FIXED_NOW)
    session.commit()
    for path in ("/quizzes/wrong-book", f"/quizzes/attempts/{attempt.id}/result"):
        page = _page(auth, path)
        assert 'data-state="dismissed"' in page
        assert "您反馈的这道题，题库编辑核对后认为试题无误。" in page
        assert "编辑说明：答案B正确" in page
    sent = session.scalars(
        sa.select(Notification).where(Notification.user_id == world.member_a.id)
    ).one()
    assert sent.message == "question_report_answered" and sent.link == "/quizzes/wrong-book"
    assert "question" in sent.params


def test_a_corrected_report_on_a_right_answer_links_to_the_result(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        quiz = make_quiz(
            session, world.root, make_paper(session, types=("single",)), attempts_allowed=1
        )
        attempt = _take(session, quiz, world.member_a, 1, FIXED_NOW)
        report = report_question(
            session, world.member_a, slots_of(session, attempt)[0].version, "选项重复", FIXED_NOW
        )
        close_report(session, world.admin, report, ReportState.RESOLVED, "", FIXED_NOW)
    session.commit()
    sent = session.scalars(sa.select(Notification)).one()
    assert sent.user_id == world.member_a.id
    assert sent.link == f"/quizzes/attempts/{attempt.id}/result"
    auth.login("mema")
    page = _page(auth, sent.link)
    assert "您反馈的这道题，题库编辑已在题库中更正。" in page
    assert 'data-testid="report-note"' not in page
