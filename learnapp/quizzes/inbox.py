"""The inbox lines of quizzes: 简答 answers waiting for a marker, and 纠错 reports waiting for
the editors and reviewers of the question's bank."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.authz import BANK_STAFF
from learnapp.clock import now
from learnapp.inbox import InboxItem, provider
from learnapp.quizzes.marking_queue import marking_queue
from learnapp.quizzes.reports import open_report_count


@provider
def answers_to_mark(session, user) -> list[InboxItem]:
    if not user.is_manager:
        return []
    count = len(marking_queue(session, user, now()))
    return [
        InboxItem("quiz-marking", _("Short answers to mark"), count, url_for("quizzes.marking"))
    ]


@provider
def questions_reported(session, user) -> list[InboxItem]:
    if not BANK_STAFF.allows(user):
        return []
    return [
        InboxItem(
            "quiz-question-reports",
            _("Questions reported as faulty (纠错)"),
            open_report_count(session, user),
            url_for("quizzes.question_reports"),
        )
    ]
