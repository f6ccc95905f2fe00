"""The markers' inbox line: 简答 answers waiting for a mark."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.inbox import InboxItem, provider
from learnapp.quizzes.queries import marking_queue


@provider
def answers_to_mark(session, user) -> list[InboxItem]:
    if not user.is_manager:
        return []
    count = len(marking_queue(session, user))
    return [
        InboxItem("quiz-marking", _("Short answers to mark"), count, url_for("quizzes.marking"))
    ]
