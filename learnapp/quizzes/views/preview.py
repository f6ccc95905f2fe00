"""The author's preview of a quiz: the paper as an examinee would see it, without keys."""

import random
from decimal import Decimal
from types import SimpleNamespace

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now
from learnapp.db import get_session
from learnapp.errors import DomainError
from learnapp.question_bank.models import Question, QuestionVersion
from learnapp.quizzes.papers import compose
from learnapp.quizzes.presenters import taking_questions
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.manage import quiz_or_404


@bp.get("/manage/<int:quiz_id>/preview")
@route_policy(MANAGER)
def preview(quiz_id):
    """The paper as an examinee would see it (a sample draw for random rules); no keys."""
    session = get_session()
    found = quiz_or_404(quiz_id)
    try:
        paper = compose(session, found, current_user, random.Random(), now())  # noqa: S311
    except DomainError as error:
        flash(error.message, "warning")
        return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))
    return render_template(
        "quizzes/preview.html", quiz=found, questions=_preview_questions(session, paper)
    )


def _preview_questions(session, paper):
    slots = []
    for position, (question_id, version_id, points) in enumerate(paper, start=1):
        version = session.get(QuestionVersion, version_id)
        count = len(version.spec.get("options") or [])
        slots.append(
            SimpleNamespace(
                position=position,
                question_type=session.get(Question, question_id).type,
                version=version,
                option_order=list(range(count)),
                option_ids=[f"p{position}-{n}" for n in range(count)],
                response=None,
                seq=0,
                points=Decimal(points if points is not None else version.points),
            )
        )
    return taking_questions(slots)
