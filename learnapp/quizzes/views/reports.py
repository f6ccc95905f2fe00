"""纠错 pages: a member reports a question from a result they may review or from their 错题本;
bank editors and reviewers see the reports of their banks and close them."""

from dataclasses import dataclass

from flask import abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import BANK_STAFF, LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.quizzes import reports as report_services
from learnapp.quizzes.forms import CloseReportForm, ReportForm
from learnapp.quizzes.models import REPORT_STATE_LABELS, ReportState, WrongAnswer
from learnapp.quizzes.queries import own_attempt, slots_of
from learnapp.quizzes.release import question_withholdings
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.taking import result
from learnapp.quizzes.views.wrong_book import wrong_answers


@dataclass(frozen=True)
class ReportFailure:
    """A refused 纠错, for the page shown again: the report box `key` (see _report.html) opens
    holding what the member typed, with the reason inside it."""

    key: str
    text: str
    message: str


def _report(version, key: str, back: str, page):
    """Store the member's report of `version` and go `back`, or show `page` (a view) again with
    report box `key` open, its text and the reason; nothing is stored on error."""
    form = ReportForm()
    session = get_session()
    if form.validate_on_submit():
        try:
            report_services.report_question(session, current_user, version, form.text.data, now())
        except DomainError as error:
            session.rollback()
            message = error.message
        else:
            commit()
            flash(_("Thank you. The question bank's editors will check it."), "success")
            return redirect(back)
    else:
        message = (form.errors.get("text") or [_("The form was not accepted.")])[0]
    g.report_failure = ReportFailure(key, form.text.data or "", str(message))
    response = make_response(page())
    response.status_code = 400
    return response


@bp.post("/attempts/<int:attempt_id>/items/<int:position>/report")
@route_policy(LOGGED_IN)
def report_from_result(attempt_id, position):
    """Only a question of a result whose review the member may see: reporting never opens a
    key early (E2)."""
    session = get_session()
    attempt = own_attempt(session, current_user, attempt_id)
    slot = None
    if attempt is not None:
        slot = next((s for s in slots_of(session, attempt) if s.position == position), None)
    if (
        slot is None
        or question_withholdings(session, current_user, [slot], now())[slot.id] is not None
    ):
        abort(404)
    back = url_for("quizzes.result", attempt_id=attempt_id, _anchor=f"item-{position}")
    return _report(slot.version, str(position), back, lambda: result(attempt_id))


@bp.post("/wrong-book/<int:entry_id>/report")
@route_policy(LOGGED_IN)
def report_from_wrong_book(entry_id):
    entry = get_session().get(WrongAnswer, entry_id)
    if entry is None or entry.member_id != current_user.id:
        abort(404)
    return _report(entry.version, f"w{entry.id}", url_for("quizzes.wrong_answers"), wrong_answers)


@bp.get("/reports")
@route_policy(BANK_STAFF)
def question_reports():
    return render_template(
        "quizzes/reports.html",
        reports=report_services.reports_for(get_session(), current_user),
        labels=REPORT_STATE_LABELS,
        form=CloseReportForm(),
    )


@bp.post("/reports/<int:report_id>")
@route_policy(BANK_STAFF)
def close_report(report_id):
    session = get_session()
    report = report_services.report_in_scope(session, current_user, report_id)
    if report is None:
        abort(404)  # a bank outside the user's reach looks like no report
    form = CloseReportForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "danger")
        return redirect(url_for("quizzes.question_reports"))
    try:
        report_services.close_report(
            session, current_user, report, ReportState(form.state.data), form.note.data, now()
        )
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
        flash(_("Report closed."), "success")
    return redirect(url_for("quizzes.question_reports"))
