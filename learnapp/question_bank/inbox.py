"""The inbox lines of the question bank: questions waiting for a reviewer, one line per bank."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.inbox import InboxItem, provider
from learnapp.question_bank.queries import review_counts
from learnapp.question_bank.services import is_bank_reviewer


@provider
def questions_to_review(session, user) -> list[InboxItem]:
    if not is_bank_reviewer(user):
        return []
    return [
        InboxItem(
            "bank-review",
            _("Questions waiting for review in %(bank)s", bank=bank.name),
            count,
            url_for("question_bank.review_queue", bank_id=bank.id),
        )
        for bank, count in review_counts(session, user)
    ]
