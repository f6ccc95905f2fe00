"""The member's pages: quizzes open to them, taking an attempt, results, the 错题本."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from learnapp.authz import LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_db, get_session, write_intent
from learnapp.errors import DomainError, render_error
from learnapp.extensions import rate_limit_free
from learnapp.forms import EmptyForm
from learnapp.hours.services import org_day
from learnapp.quizzes import answers as answer_services
from learnapp.quizzes import attempts as attempt_services
from learnapp.quizzes.models import (
    KIND_LABELS,
    AnswerOutcome,
    AttemptState,
    FinishedBy,
    QuizKind,
    WrongAnswer,
)
from learnapp.quizzes.presenters import review_questions, taking_questions, wrong_book_items
from learnapp.quizzes.queries import (
    member_attempts,
    own_attempt,
    own_attempt_id,
    questions_being_answered,
    released_wrong_answers,
    review_open,
    slots_of,
    visible_quiz,
    visible_quizzes,
    wrong_book,
)
from learnapp.quizzes.reports import reported_version_ids
from learnapp.quizzes.responses import form_response, parse_response
from learnapp.quizzes.views import bp
from learnapp.quizzes.wrongbook import set_mastered
from learnapp.web import session_member_view

MAX_SAVE_BYTES = 64 * 1024


def _no_store(response):
    """Exam pages are never cached, by the browser or anything in between (E2)."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _own(attempt_id: int):
    attempt = own_attempt(get_session(), current_user, attempt_id)
    if attempt is None:
        abort(404)  # another member's attempt looks like no attempt (E6)
    return attempt


@bp.get("/")
@route_policy(LOGGED_IN)
def index():
    session = get_session()
    quizzes = visible_quizzes(session, current_user)
    attempts: dict[int, list] = {}
    for attempt in member_attempts(session, current_user.id, [q.id for q in quizzes]):
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
    reviewable = {a.id for a in graded if review_open(a, moment)}
    return _no_store(
        render_template(
            "quizzes/quiz.html",
            quiz=found,
            terms=terms,
            attempts=attempts,
            reviewable=reviewable,
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


def _take_page(found, posted: dict | None = None, status: int = 200):
    return _no_store(
        (
            render_template(
                "quizzes/take.html",
                attempt=found,
                quiz=found.quiz,
                questions=taking_questions(slots_of(get_session(), found), posted),
                server_now=now(),
                form=EmptyForm(),
                refused=posted is not None,
            ),
            status,
        )
    )


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
        return _no_store(({"error": message, "csrf_token": generate_csrf()}, 400))
    if (
        attempt is not None
        and attempt.state == AttemptState.IN_PROGRESS
        and request.endpoint in ("quizzes.submit", "quizzes.save_form")
    ):
        return _take_page(attempt, _posted_answers(attempt), 400)
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
            return _no_store(({"error": _("The answer is too long.")}, 413))
        return _no_store(({"error": _("The answer could not be understood.")}, 400))
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
        return _no_store(({"error": error.message}, 400))
    if result is None:
        abort(404)
    if result.outcome == AnswerOutcome.LATE:
        attempt_services.finalize(session, attempt_id, now(), FinishedBy.TIMER)
    commit()
    payload = {"outcome": result.outcome.value, "seq": result.seq}
    if result.outcome in (AnswerOutcome.LATE, AnswerOutcome.CLOSED):
        payload["result_url"] = url_for("quizzes.result", attempt_id=attempt_id)
    return _no_store((payload, 200 if result.accepted else 409))


def _save_posted(attempt) -> int:
    """Save the answers of a posted form (no JavaScript, or the final submit): each answer that
    differs from the stored one, against the sequence number the page showed. Refused ones are
    logged by the service; returns how many were refused."""
    session = get_session()
    refused = 0
    for slot in slots_of(session, attempt):
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
    refused = _save_posted(found)
    commit()
    if refused:
        flash(_("Some answers were not saved: a newer answer exists or time is up."), "warning")
    else:
        flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.attempt", attempt_id=found.id))


@bp.post("/attempts/<int:attempt_id>/submit")
@route_policy(LOGGED_IN)
def submit(attempt_id):
    """Save what the form carries, then finish. Submitting twice (two tabs, a double click, a
    retry) finishes once and shows the same result."""
    found = _own(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    if found.state == AttemptState.IN_PROGRESS:
        _save_posted(found)
        by = FinishedBy.TIMER if attempt_services.is_overdue(found, now()) else FinishedBy.MEMBER
        attempt_services.finalize(session, found.id, now(), by)
        commit()
    return redirect(url_for("quizzes.result", attempt_id=found.id))


@bp.get("/attempts/<int:attempt_id>/deadline")
@route_policy(LOGGED_IN)
def deadline(attempt_id):
    """The attempt's deadline now, for the page whose countdown reached zero: the organisers may
    have moved it since the page was loaded (the member's own terms, or the quiz's close)."""
    found = _own(attempt_id)
    return _no_store(
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
    return _no_store(({"stored": stored}, 200))


@bp.get("/attempts/<int:attempt_id>/result")
@route_policy(LOGGED_IN)
def result(attempt_id):
    found = _finish_if_overdue(_own(attempt_id))
    if found.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("quizzes.attempt", attempt_id=found.id))
    is_open = review_open(found, now())
    items = review_questions(slots_of(get_session(), found)) if is_open else []
    return _no_store(
        render_template(
            "quizzes/result.html",
            attempt=found,
            quiz=found.quiz,
            review=is_open,
            items=items,
            reported=reported_version_ids(get_session(), current_user.id) if is_open else set(),
        )
    )


@bp.get("/wrong-book")
@route_policy(LOGGED_IN)
def wrong_answers():
    session = get_session()
    entries = wrong_book(session, current_user.id)
    question_ids = [entry.question_id for entry in entries]
    items = wrong_book_items(
        entries,
        released_wrong_answers(session, current_user.id, question_ids, now()),
        questions_being_answered(session, current_user.id, question_ids),
    )
    return _no_store(
        render_template(
            "quizzes/wrong_book.html",
            items=items,
            reported=reported_version_ids(session, current_user.id),
            form=EmptyForm(),
        )
    )


@bp.post("/wrong-book/<int:entry_id>/mastered")
@route_policy(LOGGED_IN)
def mastered(entry_id):
    session = get_session()
    entry = session.get(WrongAnswer, entry_id)
    if entry is None or entry.member_id != current_user.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    set_mastered(session, current_user, entry, now())
    commit()
    flash(_("Marked as mastered."), "success")
    return redirect(url_for("quizzes.wrong_answers"))
