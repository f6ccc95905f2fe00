"""The quizzes open to the member: the list, one quiz's page with the member's attempts, and
starting an attempt."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from learnapp.authz import LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.hours.services import org_day
from learnapp.quizzes import attempts as attempt_services
from learnapp.quizzes.models import KIND_LABELS, AttemptState, QuizKind
from learnapp.quizzes.presenters import running_attempts
from learnapp.quizzes.queries import member_attempts, visible_quiz, visible_quizzes
from learnapp.quizzes.release import quiz_withholdings, score_shown
from learnapp.quizzes.standing import exam_standing, grading_rule
from learnapp.quizzes.views import bp, no_store


@bp.get("/")
@route_policy(LOGGED_IN)
def index():
    session = get_session()
    quizzes = visible_quizzes(session, current_user)
    attempts: dict[int, list] = {}
    mine = member_attempts(session, current_user.id, [q.id for q in quizzes])
    for attempt in mine:
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    moment = now()
    today = org_day(moment)
    overrides = attempt_services.overrides_for_member(
        session, current_user.id, [q.id for q in quizzes]
    )
    terms = {q.id: attempt_services.Terms.of(q, overrides.get(q.id)) for q in quizzes}
    return render_template(
        "quizzes/index.html",
        quizzes=quizzes,
        attempts=attempts,
        running=running_attempts(mine, moment),
        terms=terms,
        reasons={
            q.id: attempt_services.start_refusal(
                q, current_user, attempts.get(q.id, []), moment, terms[q.id]
            )
            for q in quizzes
        },
        done_today={
            quiz_id
            for quiz_id, mine in attempts.items()
            if any(a.practice_day == today for a in mine)
        },
        kinds=QuizKind,
        kind_labels=KIND_LABELS,
    )


@bp.get("/<int:quiz_id>")
@route_policy(LOGGED_IN)
def quiz(quiz_id):
    session = get_session()
    found = visible_quiz(session, current_user, quiz_id)
    if found is None:
        abort(404)
    attempts = member_attempts(session, current_user.id, [found.id])
    terms = attempt_services.member_terms(session, found, current_user.id)
    moment = now()
    graded = [a for a in attempts if a.state == AttemptState.GRADED]
    running = running_attempts(attempts, moment).get(found.id)
    holds = quiz_withholdings(session, current_user, found, attempts, moment)
    reviewable = {a.id for a in graded if score_shown(holds.attempts[a.id])}
    return no_store(
        render_template(
            "quizzes/quiz.html",
            quiz=found,
            terms=terms,
            attempts=attempts,
            running=running,
            reviewable=reviewable,
            release=holds.release,
            grading_rule=grading_rule(found, terms.attempts_allowed, len(attempts)),
            standing=exam_standing(found, attempts, holds.attempts, holds.release),
            done_today=_done_today(found, attempts, moment),
            # A topic set scores once: its first finished attempt (DOMAIN.md).
            counted=graded[0].id if graded and found.kind == QuizKind.TOPIC else None,
            reason=attempt_services.start_refusal(found, current_user, attempts, moment, terms),
            form=EmptyForm(),
        )
    )


def _done_today(quiz, attempts, moment):
    """Today's finished 每日答题 attempt, if any: the page shows it instead of a start button
    that could only be refused (one a day)."""
    if quiz.kind != QuizKind.DAILY:
        return None
    today = org_day(moment)
    return next(
        (a for a in attempts if a.practice_day == today and a.state != AttemptState.IN_PROGRESS),
        None,
    )


@bp.post("/<int:quiz_id>/start")
@route_policy(LOGGED_IN)
def start(quiz_id):
    session = get_session()
    found = visible_quiz(session, current_user, quiz_id)
    if found is None or not EmptyForm().validate_on_submit():
        abort(404 if found is None else 400)
    try:
        attempt = attempt_services.start_attempt(session, current_user, found, now())
    except DomainError as error:
        session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("quizzes.quiz", quiz_id=quiz_id))
    commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
