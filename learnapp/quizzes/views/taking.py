"""Taking an attempt: the taking screen, autosave and the posted form, submitting, the
deadline, tab signals, a refused security token, and the result page."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from learnapp.authz import LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_db, get_session, write_intent
from learnapp.errors import DomainError, render_error
from learnapp.extensions import rate_limit_free
from learnapp.forms import EmptyForm
from learnapp.quizzes import answers as answer_services
from learnapp.quizzes import attempts as attempt_services
from learnapp.quizzes.models import AnswerOutcome, AttemptState, FinishedBy, QuizKind
from learnapp.quizzes.presenters import result_items, taking_questions
from learnapp.quizzes.queries import member_attempts, own_attempt, own_attempt_id, slots_of
from learnapp.quizzes.release import question_withholdings, score_shown, withholding
from learnapp.quizzes.reports import member_reports
from learnapp.quizzes.responses import form_response, parse_response
from learnapp.quizzes.standing import grading_rule
from learnapp.quizzes.views import bp, no_store
from learnapp.web import session_member_view

MAX_SAVE_BYTES = 64 * 1024


def _own(attempt_id: int):
    attempt = own_attempt(get_session(), current_user, attempt_id)
    if attempt is None:
        abort(404)  # another member's attempt looks like no attempt (E6)
    return attempt


def _finish_if_overdue(attempt):
    """A late page open finishes the attempt through the same function as the job (E4). The
    page's own transaction is a read (GET); the finish runs in a short write transaction of its
    own, which SQLite can take safely under several workers."""
    if attempt.state != AttemptState.IN_PROGRESS or not attempt_services.is_overdue(attempt, now()):
        return attempt
    token = write_intent.set(True)
    try:
        with get_db().session_scope() as session:
            attempt_services.finalize(session, attempt.id, now(), FinishedBy.TIMER)
    finally:
        write_intent.reset(token)
    get_session().rollback()
    return _own(attempt.id)


@bp.get("/attempts/<int:attempt_id>")
@route_policy(LOGGED_IN)
def attempt(attempt_id):
    found = _finish_if_overdue(_own(attempt_id))
    if found.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("quizzes.result", attempt_id=found.id))
    return _take_page(found)


def _take_page(found, posted: dict | None = None, status: int = 200, at: int | None = None):
    """The taking screen; `at` is the question it opens on when the URL names none (a refused
    post shows the question the member was at)."""
    return no_store(
        (
            render_template(
                "quizzes/take.html",
                attempt=found,
                quiz=found.quiz,
                questions=taking_questions(slots_of(get_session(), found), posted),
                server_now=now(),
                form=EmptyForm(),
                refused=posted is not None,
                at=at,
            ),
            status,
        )
    )


def _posted_position(count: int) -> int | None:
    """The question the member was at when they posted the form (the page keeps it in the
    form's `at` field), if it is one of the attempt's `count` questions."""
    raw = request.form.get("at", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 5):
        return None
    return int(raw) if 1 <= int(raw) <= count else None


def _posted_answers(attempt) -> dict:
    """The answers a refused form carried, in the stored form; unreadable ones are left out."""
    posted = {}
    for slot in slots_of(get_session(), attempt):
        try:
            posted[slot.position] = parse_response(slot, form_response(slot, request.form))
        except DomainError:
            continue
    return posted


@bp.errorhandler(CSRFError)
def csrf_refused(_error):
    """E16: a post whose security token is refused (a session that changed under a long exam)
    never throws the member's answers away. Autosave gets a fresh token to retry with; a refused
    submit or save shows the taking screen again holding the answers it carried, unsaved, to be
    sent once more. Anything else gets the application's usual message."""
    attempt_id = (request.view_args or {}).get("attempt_id")
    attempt = None
    if attempt_id is not None and current_user.is_authenticated:
        attempt = own_attempt(get_session(), current_user, attempt_id)
    if attempt is not None and request.endpoint == "quizzes.save":
        message = _("The page's security token was refused; the answer is sent again.")
        return no_store(({"error": message, "csrf_token": generate_csrf()}, 400))
    if (
        attempt is not None
        and attempt.state == AttemptState.IN_PROGRESS
        and request.endpoint in ("quizzes.submit", "quizzes.save_form")
    ):
        posted = _posted_answers(attempt)
        return _take_page(attempt, posted, 400, _posted_position(len(attempt.slots)))
    return render_error(
        400,
        _(
            "The form was not accepted because its security token is missing or stale. "
            "Go back, reload the page and send it again."
        ),
    )


@bp.post("/attempts/<int:attempt_id>/answers")
@rate_limit_free
@session_member_view
@route_policy(LOGGED_IN)
def save(attempt_id):
    """Autosave one answer (JSON). Only responses are read from the body (E7). Another member's
    attempt answers 404 whatever the body holds (E6). The answer is the outcome and the stored
    sequence number, never whether the answer is right (E13); the page has its own words for
    each outcome, so an accepted save translates nothing."""
    session = get_session()
    too_long = bool(request.content_length and request.content_length > MAX_SAVE_BYTES)
    body = None if too_long else request.get_json(silent=True)
    if not isinstance(body, dict):
        if own_attempt_id(session, current_user, attempt_id) is None:
            abort(404)
        if too_long:
            return no_store(({"error": _("The answer is too long.")}, 413))
        return no_store(({"error": _("The answer could not be understood.")}, 400))
    try:
        result = answer_services.save_answer(
            session,
            attempt_id,
            body.get("position"),
            body.get("seq"),
            body.get("response"),
            now(),
            member_id=current_user.id,
        )
    except DomainError as error:
        session.rollback()
        return no_store(({"error": error.message}, 400))
    if result is None:
        abort(404)
    if result.outcome == AnswerOutcome.LATE:
        attempt_services.finalize(session, attempt_id, now(), FinishedBy.TIMER)
    commit()
    payload = {"outcome": result.outcome.value, "seq": result.seq}
    if result.outcome in (AnswerOutcome.LATE, AnswerOutcome.CLOSED):
        payload["result_url"] = url_for("quizzes.result", attempt_id=attempt_id)
    return no_store((payload, 200 if result.accepted else 409))


def _save_posted(attempt, slots) -> int:
    """Save the answers of a posted form (no JavaScript, or the final submit): each answer that
    differs from the stored one, against the sequence number the page showed. Refused ones are
    logged by the service; returns how many were refused."""
    session = get_session()
    refused = 0
    for slot in slots:
        raw = form_response(slot, request.form)
        try:
            if parse_response(slot, raw) == slot.response:
                continue
            base = request.form.get(f"seq-{slot.position}", "")
            base_seq = int(base) if base.isascii() and base.isdigit() and len(base) < 10 else -1
            result = answer_services.save_answer(
                session,
                attempt.id,
                slot.position,
                base_seq,
                raw,
                now(),
                member_id=attempt.member_id,
            )
        except DomainError:
            refused += 1
            continue
        refused += not result.accepted
    return refused


@bp.post("/attempts/<int:attempt_id>/save")
@route_policy(LOGGED_IN)
def save_form(attempt_id):
    found = _own(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    slots = slots_of(get_session(), found)
    refused = _save_posted(found, slots)
    at = _posted_position(len(slots))
    commit()
    if refused:
        flash(_("Some answers were not saved: a newer answer exists or time is up."), "warning")
    else:
        flash(_("Your answers are saved."), "success")
    # Back to the question the member was at: the page opens on the one its address names.
    anchor = f"q{at}" if at else None
    return redirect(url_for("quizzes.attempt", attempt_id=found.id, _anchor=anchor))


@bp.post("/attempts/<int:attempt_id>/submit")
@route_policy(LOGGED_IN)
def submit(attempt_id):
    """Save what the form carries, then finish. Submitting twice (two tabs, a double click, a
    retry) finishes once and shows the same result. A form that comes after the attempt ended
    (the network came back after the deadline and grace, the sweep may have finished it first)
    still has its answers recorded, refused as late or closed; the result page says so. The
    page's countdown marks its own submission (`by_timer`), which only names who finished."""
    found = _own(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    _save_posted(found, slots_of(session, found))
    if found.state == AttemptState.IN_PROGRESS:
        moment = now()
        by_timer = request.form.get("by_timer") == "1"
        by = attempt_services.finisher(found, moment, page_timer=by_timer)
        attempt_services.finalize(session, found.id, moment, by)
    commit()
    return redirect(url_for("quizzes.result", attempt_id=found.id))


@bp.get("/attempts/<int:attempt_id>/deadline")
@route_policy(LOGGED_IN)
def deadline(attempt_id):
    """The attempt's deadline now, for the page whose countdown reached zero: the organisers may
    have moved it since the page was loaded (the member's own terms, or the quiz's close)."""
    found = _own(attempt_id)
    return no_store(
        (
            {
                "in_progress": found.state == AttemptState.IN_PROGRESS,
                "deadline": found.deadline_at.isoformat() if found.deadline_at else None,
            },
            200,
        )
    )


@bp.post("/attempts/<int:attempt_id>/signals")
@route_policy(LOGGED_IN)
def signal(attempt_id):
    """The page was hidden or shown (tab switch): logged for a person to look at."""
    found = _own(attempt_id)
    body = request.get_json(silent=True)
    kind = body.get("kind") if isinstance(body, dict) else None
    stored = answer_services.record_signal(get_session(), found, kind, now())
    commit()
    return no_store(({"stored": stored}, 200))


@bp.get("/attempts/<int:attempt_id>/result")
@route_policy(LOGGED_IN)
def result(attempt_id):
    found = _finish_if_overdue(_own(attempt_id))
    if found.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("quizzes.attempt", attempt_id=found.id))
    session = get_session()
    moment = now()
    held = withholding(session, found, moment)
    items = []
    if held is None:
        slots = slots_of(session, found)
        items = result_items(slots, question_withholdings(session, current_user, slots, moment))
    quiz = found.quiz
    rule = None
    if quiz.kind == QuizKind.EXAM:
        terms = attempt_services.member_terms(session, quiz, current_user.id)
        rule = grading_rule(quiz, terms.attempts_allowed, found.number)
    counts = None
    if quiz.kind == QuizKind.TOPIC and found.state == AttemptState.GRADED:
        # A topic set scores once: its first finished attempt (as the quiz page marks it).
        mine = member_attempts(session, current_user.id, [quiz.id])
        counts = next(a for a in mine if a.state == AttemptState.GRADED).id == found.id
    refused = answer_services.refused_answers(session, [found.id]).get(found.id, [])
    return no_store(
        render_template(
            "quizzes/result.html",
            counts=counts,
            # Answers that came after the attempt ended, by reason: the member is told.
            refused_late=sum(r.outcome == AnswerOutcome.LATE for r in refused),
            refused_closed=sum(r.outcome == AnswerOutcome.CLOSED for r in refused),
            attempt=found,
            quiz=quiz,
            # One attempt of several is not the grade: the page says whose result it shows.
            grading_rule=rule,
            review=score_shown(held),
            held=held,
            items=items,
            reported=member_reports(session, current_user.id) if items else {},
        )
    )
