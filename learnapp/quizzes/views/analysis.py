"""Exam reports with item statistics and their export, marking 简答 answers, and regrading
after a question was corrected. Admins everywhere; secretaries and committee members for quizzes
owned in their subtree."""

import io
import unicodedata

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.audit.services import record
from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session, write_intent
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.question_bank.models import Question
from learnapp.quizzes.analysis import (
    MIN_ITEM_SAMPLE,
    attempts_for_report,
    quiz_report,
    signal_counts,
)
from learnapp.quizzes.answers import refused_answers
from learnapp.quizzes.audience import outstanding_members
from learnapp.quizzes.forms import MarkForm
from learnapp.quizzes.marking import mark_answer, regrade_question
from learnapp.quizzes.marking_queue import markable_slot, marking_work
from learnapp.quizzes.models import Attempt, AttemptQuestion, QuizKind
from learnapp.quizzes.presenters import answer_code, marking_items
from learnapp.quizzes.queries import manageable_quiz, reportable_quiz
from learnapp.quizzes.report_book import band_labels, report_title, report_workbook
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.manage import LABELS, quiz_or_404
from learnapp.tabular import XLSX_CONTENT_TYPE, download


def _reportable(quiz_id: int):
    found = reportable_quiz(get_session(), current_user, quiz_id)
    if found is None:
        abort(404)
    return found


@bp.get("/manage/<int:quiz_id>/report")
@route_policy(MANAGER)
def report(quiz_id):
    session = get_session()
    found = _reportable(quiz_id)
    attempts = attempts_for_report(session, current_user, found)
    return render_template(
        "quizzes/report.html",
        quiz=found,
        report=quiz_report(session, current_user, found),
        attempts=attempts,
        signals=signal_counts(session, [a.id for a in attempts]),
        refused=refused_answers(session, [a.id for a in attempts]),
        # Daily practice is done again every day: nobody is ever "outstanding" on it.
        outstanding=None
        if found.kind == QuizKind.DAILY
        else outstanding_members(session, current_user, found),
        min_sample=MIN_ITEM_SAMPLE,
        bands=band_labels(),
        labels=LABELS,
        # Only the quiz's authors correct it; others see their subtree's results.
        is_author=manageable_quiz(session, current_user, found.id) is not None,
    )


@bp.get("/marking")
@route_policy(MANAGER)
def marking():
    work = marking_work(get_session(), current_user, now())
    return render_template(
        "quizzes/marking.html",
        items=marking_items(work.queue, current_app.secret_key),
        held=work.held,
    )


@bp.route("/marking/<int:slot_id>", methods=["GET", "POST"])
@route_policy(MANAGER)
def mark(slot_id):
    session = get_session()
    slot = markable_slot(session, current_user, slot_id, now())
    if slot is None:
        abort(404)
    form = MarkForm()
    if slot.marked_at is None and form.validate_on_submit():
        try:
            mark_answer(session, current_user, slot, form.points.data, form.comment.data, now())
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Mark saved."), "success")
            return redirect(url_for("quizzes.marking"))
    return render_template(
        "quizzes/mark.html", slot=slot, code=answer_code(slot.id, current_app.secret_key), form=form
    )


def _question_of(found, question_id: int):
    """A question that some attempt of this quiz was asked, else 404."""
    session = get_session()
    asked = session.scalar(
        sa.select(AttemptQuestion.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.quiz_id == found.id, AttemptQuestion.question_id == question_id)
        .limit(1)
    )
    if asked is None:
        abort(404)
    return session.get(Question, question_id)


@bp.route("/manage/<int:quiz_id>/regrade/<int:question_id>", methods=["GET", "POST"])
@route_policy(MANAGER)
def regrade(quiz_id, question_id):
    """GET is the dry run (the score changes); POST applies them, audited. A refused regrade
    (no approved version to score against, say) shows why and offers nothing to apply."""
    session = get_session()
    found = quiz_or_404(quiz_id)
    question = _question_of(found, question_id)
    form = EmptyForm()
    apply = request.method == "POST"
    if apply and not form.validate_on_submit():
        abort(400)
    try:
        changes = regrade_question(session, current_user, found, question, now(), apply=apply)
    except DomainError as error:
        session.rollback()
        page = render_template(
            "quizzes/regrade.html", quiz=found, question=question, refusal=error.message
        )
        return page, 400 if apply else 200
    if apply:
        commit()
        flash(_("%(n)d attempts regraded.", n=len(changes)), "success")
        return redirect(url_for("quizzes.report", quiz_id=quiz_id))
    session.rollback()
    return render_template(
        "quizzes/regrade.html",
        quiz=found,
        question=question,
        version=question.current_version,
        changes=changes,
        form=form,
    )


def _filename(title: str) -> str:
    """The quiz title as a file name: no path separators, quotes or control characters."""
    cleaned = "".join(
        " " if ch in '\\/:*?"<>|' or unicodedata.category(ch)[0] == "C" else ch for ch in title
    )
    return " ".join(cleaned.split())[:100] or "quiz"


@bp.get("/manage/<int:quiz_id>/report.xlsx")
@route_policy(MANAGER)
def report_xlsx(quiz_id):
    """The report as a spreadsheet (quizzes.report_book), with the figures of the page and its
    answers not counted, for the same members; the export is audited."""
    # The export is audited: a write, so the transaction starts as one (BEGIN IMMEDIATE on
    # SQLite) rather than upgrading a read under other workers' writes.
    write_intent.set(True)
    session = get_session()
    found = _reportable(quiz_id)
    attempts = attempts_for_report(session, current_user, found)
    generated_at = now()
    book = report_workbook(
        found,
        quiz_report(session, current_user, found),
        attempts,
        signal_counts(session, [a.id for a in attempts]),
        refused_answers(session, [a.id for a in attempts]),
        None
        if found.kind == QuizKind.DAILY
        else outstanding_members(session, current_user, found, limit=None),
        generated_at,
    )
    record(session, current_user, "quiz.report_exported", "quiz", found.id, now=generated_at)
    commit()
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"{_filename(found.title)}-{report_title(found)}.xlsx"
    return download(
        buffer.getvalue(),
        content_type=XLSX_CONTENT_TYPE,
        filename=name,
        ascii_filename=f"quiz-{found.id}-report.xlsx",
    )
