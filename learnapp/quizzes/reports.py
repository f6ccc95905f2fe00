"""纠错: members report a faulty question; bank editors and reviewers of the question's bank
correct it in the bank (and regrade) or dismiss the report. Services flush, never commit."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.notifications.messages import declare
from learnapp.notifications.preferences import register_kind
from learnapp.notifications.services import notify
from learnapp.question_bank.models import Question, QuestionBank
from learnapp.question_bank.queries import bank_in_scope_clause
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    QuestionReport,
    ReportState,
    WrongAnswer,
)
from learnapp.sanitize import strip_bidi

MAX_REPORT_TEXT = 1000

# About one's own report: always sent.
register_kind("question_report_answered", _l("My reports of faulty questions"), mandatory=True)
REPORT_ANSWERED = declare(
    "question_report_answered",
    "question_report_answered",
    _l("Your report on the question “%(question)s” has been answered"),
    ("question",),
)


def _text(value: str | None, field: str, required: bool) -> str:
    text = strip_bidi((value or "").replace("\x00", "")).strip()
    if required and not text:
        raise DomainError(field, _l("Say what is wrong with the question."))
    if len(text) > MAX_REPORT_TEXT:
        raise DomainError(field, _l("At most 1000 characters."))
    return text


def report_question(session: Session, member, version, text: str, now: datetime) -> QuestionReport:
    """A member reports the question version they were asked as faulty, once per version. The
    caller has checked that the member saw it with its review open (a result page or their
    错题本), so reporting is no back door to a key. The question itself is left alone."""
    report = QuestionReport(
        question_id=version.question_id,
        version_id=version.id,
        member_id=member.id,
        text=_text(text, "text", required=True),
        state=ReportState.OPEN,
        created_at=now,
        resolution_note="",
    )
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        raise DomainError("text", _l("You have already reported this question.")) from None
    return report


def _reports_in_scope(user):
    return (
        sa.select(QuestionReport)
        .join(Question, Question.id == QuestionReport.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .where(bank_in_scope_clause(user))
    )


def reports_for(session: Session, user, limit: int = 200) -> list[QuestionReport]:
    """Reports on questions of the banks the user reaches: open ones first, oldest first."""
    return list(
        session.scalars(
            _reports_in_scope(user)
            .order_by(
                (QuestionReport.state != ReportState.OPEN),
                QuestionReport.created_at,
                QuestionReport.id,
            )
            .limit(limit)
        )
    )


def open_report_count(session: Session, user) -> int:
    query = _reports_in_scope(user).where(QuestionReport.state == ReportState.OPEN)
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def report_in_scope(session: Session, user, report_id: int) -> QuestionReport | None:
    return session.scalar(_reports_in_scope(user).where(QuestionReport.id == report_id))


def member_reports(session: Session, member_id: int) -> dict[int, QuestionReport]:
    """The member's own reports by the question version reported: what their result pages and
    错题本 say about each (waiting, corrected or dismissed, with the editor's note)."""
    return {
        report.version_id: report
        for report in session.scalars(
            sa.select(QuestionReport).where(QuestionReport.member_id == member_id)
        )
    }


def _report_link(session: Session, report: QuestionReport) -> str:
    """Where the member sees their report's outcome: the question's 错题本 entry, or else the
    latest result that asked the version they reported."""
    urls = current_app.url_map.bind("localhost")
    in_book = session.scalar(
        sa.select(WrongAnswer.id).where(
            WrongAnswer.member_id == report.member_id,
            WrongAnswer.question_id == report.question_id,
        )
    )
    if in_book is not None:
        return urls.build("quizzes.wrong_answers")
    attempt_id = session.scalar(
        sa.select(Attempt.id)
        .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .where(
            Attempt.member_id == report.member_id, AttemptQuestion.version_id == report.version_id
        )
        .order_by(Attempt.id.desc())
        .limit(1)
    )
    if attempt_id is None:
        return urls.build("quizzes.index")
    return urls.build("quizzes.result", {"attempt_id": attempt_id})


def close_report(
    session: Session, actor, report: QuestionReport, state: ReportState, note: str, now
) -> None:
    """An editor or reviewer closes an open report as corrected or dismissed, with a note;
    audited. The member who reported it is told (the page linked says the outcome). Closing
    twice is refused (a conditional UPDATE, so two reviewers cannot both)."""
    if state not in (ReportState.RESOLVED, ReportState.DISMISSED):
        raise DomainError("state", _l("Choose corrected or dismissed."))
    note = _text(note, "note", required=False)
    done = session.execute(
        sa.update(QuestionReport)
        .where(QuestionReport.id == report.id, QuestionReport.state == ReportState.OPEN)
        .values(state=state, resolved_by_id=actor.id, resolved_at=now, resolution_note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise DomainError(None, _l("This report has already been closed."))
    session.refresh(report)
    notify(
        session,
        [report.member_id],
        REPORT_ANSWERED,
        _report_link(session, report),
        now,
        {"question": report.version.stem[:80]},
    )
    record(
        session,
        actor,
        "quiz.question_report_closed",
        "quiz_question_report",
        report.id,
        now=now,
        before={"state": ReportState.OPEN.value},
        after={"state": state.value, "question": report.question_id, "note": note},
    )
