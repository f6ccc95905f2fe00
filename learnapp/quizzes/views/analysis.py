"""Exam reports with item statistics and their export, marking 简答 answers, and regrading
after a question was corrected. Admins everywhere; secretaries and committee members for quizzes
owned in their subtree."""

import io
import unicodedata
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.audit.services import record
from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now, org_timezone
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
from learnapp.quizzes.audience import outstanding_members
from learnapp.quizzes.forms import MarkForm
from learnapp.quizzes.marking import mark_answer, regrade_question
from learnapp.quizzes.models import (
    ATTEMPT_STATE_LABELS,
    Attempt,
    AttemptQuestion,
    AttemptState,
    QuizKind,
)
from learnapp.quizzes.queries import (
    manageable_quiz,
    markable_slot,
    marking_queue,
    reportable_quiz,
)
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.manage import LABELS, quiz_or_404
from learnapp.tabular import write_xlsx_sheet


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
        # Daily practice is done again every day: nobody is ever "outstanding" on it.
        outstanding=None
        if found.kind == QuizKind.DAILY
        else outstanding_members(session, current_user, found),
        min_sample=MIN_ITEM_SAMPLE,
        labels=LABELS,
        # Only the quiz's authors correct it; others see their subtree's results.
        is_author=manageable_quiz(session, current_user, found.id) is not None,
    )


@bp.get("/marking")
@route_policy(MANAGER)
def marking():
    return render_template("quizzes/marking.html", slots=marking_queue(get_session(), current_user))


@bp.route("/marking/<int:slot_id>", methods=["GET", "POST"])
@route_policy(MANAGER)
def mark(slot_id):
    session = get_session()
    slot = markable_slot(session, current_user, slot_id)
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
    return render_template("quizzes/mark.html", slot=slot, form=form)


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
    """GET is the dry run (the score changes); POST applies them, audited."""
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
        flash(error.message, "warning")
        return redirect(url_for("quizzes.report", quiz_id=quiz_id))
    if apply:
        commit()
        flash(_("%(n)d attempts regraded.", n=len(changes)), "success")
        return redirect(url_for("quizzes.report", quiz_id=quiz_id))
    session.rollback()
    return render_template(
        "quizzes/regrade.html", quiz=found, question=question, changes=changes, form=form
    )


def _zone(quiz) -> ZoneInfo:
    """The owner unit's time zone (the one the quiz's times were set in), else the default."""
    try:
        return ZoneInfo(quiz.owner_unit.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return org_timezone()


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (_("Yes") if value else _("No"))


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _item_flag(item) -> str:
    if not item.is_reliable:
        return _("Too few answers to judge")
    return _yes_no(item.is_weak)


def _filename(title: str) -> str:
    """The quiz title as a file name: no path separators, quotes or control characters."""
    cleaned = "".join(
        " " if ch in '\\/:*?"<>|' or unicodedata.category(ch)[0] == "C" else ch for ch in title
    )
    return " ".join(cleaned.split())[:100] or "quiz"


@bp.get("/manage/<int:quiz_id>/report.xlsx")
@route_policy(MANAGER)
def report_xlsx(quiz_id):
    """The report as a spreadsheet (formula-safe cells): a title row with the quiz and when the
    file was made (in the owner unit's time zone) on each sheet; the attempts, the item
    analysis and the members who have not finished. The export is audited."""
    from openpyxl import Workbook

    # The export is audited: a write, so the transaction starts as one (BEGIN IMMEDIATE on
    # SQLite) rather than upgrading a read under other workers' writes.
    write_intent.set(True)
    session = get_session()
    found = _reportable(quiz_id)
    attempts = attempts_for_report(session, current_user, found)
    signals = signal_counts(session, [a.id for a in attempts])
    data = quiz_report(session, current_user, found)
    zone = _zone(found)
    generated_at = now()
    title = [
        found.title,
        _(
            "Generated %(when)s (%(zone)s)",
            when=generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            zone=zone.key,
        ),
    ]

    def local(value):
        return value.astimezone(zone).replace(tzinfo=None) if value else None

    book = Workbook()
    sheet = book.active
    sheet.title = _("Attempts")[:31]
    write_xlsx_sheet(sheet, title, [])
    write_xlsx_sheet(
        sheet,
        [
            _("Member"),
            _("Unit"),
            _("Started"),
            _("State"),
            _("Score"),
            _("Passed"),
            _("Tab switches"),
        ],
        (
            [
                a.member.display_name,
                a.member.unit.name if a.member.unit else "",
                local(a.started_at),
                str(ATTEMPT_STATE_LABELS[a.state]),
                round(float(a.percent), 2) if a.percent is not None else None,
                _yes_no(a.passed),
                signals.get(a.id, 0),
            ]
            for a in attempts
        ),
    )
    items = book.create_sheet(_("Item analysis")[:31])
    write_xlsx_sheet(items, title, [])
    write_xlsx_sheet(
        items,
        [_("Question"), _("Answers"), _("Facility"), _("Discrimination"), _("Check this item")],
        (
            [i.stem, i.answers, _ratio(i.facility), _ratio(i.discrimination), _item_flag(i)]
            for i in data.items
        ),
    )
    if found.kind != QuizKind.DAILY:
        pending = outstanding_members(session, current_user, found, limit=None)
        missing = book.create_sheet(_("Not finished")[:31])
        write_xlsx_sheet(missing, title, [])
        write_xlsx_sheet(
            missing,
            [_("Member"), _("Unit"), _("State")],
            (
                [
                    m.display_name,
                    m.unit.name if m.unit else "",
                    str(ATTEMPT_STATE_LABELS[AttemptState.IN_PROGRESS])
                    if m.id in pending.in_progress
                    else _("Not started"),
                ]
                for m in pending.members
            ),
        )
    record(session, current_user, "quiz.report_exported", "quiz", found.id, now=generated_at)
    commit()
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"{_filename(found.title)}-{_('Exam report')}.xlsx"
    # RFC 6266: an ASCII name for old clients, the quiz's own title in filename*.
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="quiz-{found.id}-report.xlsx"; '
            f"filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "no-store",
        },
    )
