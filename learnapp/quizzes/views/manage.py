"""Authors' and markers' pages: quiz definitions, papers and rules, preview, reports, marking.
Admins everywhere; secretaries and committee members for quizzes owned in their subtree."""

import io
import random
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.audit.services import record
from learnapp.authz import MANAGER, route_policy, strict_int_arg
from learnapp.clock import now, org_timezone
from learnapp.courses.queries import manageable_courses
from learnapp.db import commit, get_session, write_intent
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import MemberCategory
from learnapp.orgs.queries import units_in_scope
from learnapp.question_bank.models import KnowledgePoint, Question, QuestionStatus, QuestionVersion
from learnapp.question_bank.queries import QuestionFilters, knowledge_points, questions_page
from learnapp.quizzes import authoring
from learnapp.quizzes.attempts import compose
from learnapp.quizzes.forms import AddQuestionsForm, MarkForm, QuizForm, RuleForm
from learnapp.quizzes.marking import mark_answer, regrade_question
from learnapp.quizzes.models import (
    ATTEMPT_STATE_LABELS,
    COMPOSITION_LABELS,
    GRADING_LABELS,
    KIND_LABELS,
    RELEASE_LABELS,
    STATE_LABELS,
    Attempt,
    AttemptQuestion,
    Composition,
    GradingMethod,
    QuizKind,
    QuizState,
    ReleasePolicy,
)
from learnapp.quizzes.presenters import taking_questions
from learnapp.quizzes.queries import (
    attempts_for_report,
    manageable_quiz,
    manageable_quizzes,
    markable_slot,
    marking_queue,
    quiz_report,
    signal_counts,
)
from learnapp.quizzes.views import bp
from learnapp.tabular import write_xlsx_sheet

LABELS = {
    "kinds": KIND_LABELS,
    "states": STATE_LABELS,
    "compositions": COMPOSITION_LABELS,
    "grading": GRADING_LABELS,
    "release": RELEASE_LABELS,
    "attempt_states": ATTEMPT_STATE_LABELS,
}


def _quiz(quiz_id: int):
    found = manageable_quiz(get_session(), current_user, quiz_id)
    if found is None:
        abort(404)
    return found


def _quiz_form(quiz=None) -> QuizForm:
    session = get_session()
    form = QuizForm(obj=quiz) if quiz is not None else QuizForm()
    units = units_in_scope(session, current_user)
    form.owner_unit_id.choices = [SelectChoice(u.id, u.name) for u in units]
    form.audience_units.choices = [SelectChoice(u.id, u.name) for u in units]
    courses = manageable_courses(session, current_user)
    form.course_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(c.id, c.title) for c in courses
    ]
    if quiz is not None and request.method == "GET":
        form.audience_units.data = [u.id for u in quiz.audience_units]
        form.audience_categories.data = list(quiz.audience_categories)
        form.course_id.data = quiz.course_id or 0
        form.duration_minutes.data = quiz.duration_seconds // 60 if quiz.duration_seconds else None
        form.opens_at.data = _local(quiz.opens_at)
        form.closes_at.data = _local(quiz.closes_at)
    return form


def _local(value):
    return value.astimezone(org_timezone()).replace(tzinfo=None) if value else None


def _settings(form: QuizForm) -> authoring.QuizSettings:
    session = get_session()
    units = {u.id: u for u in units_in_scope(session, current_user)}
    return authoring.QuizSettings(
        title=form.title.data or "",
        description=form.description.data or "",
        kind=QuizKind(form.kind.data),
        owner_unit=units[form.owner_unit_id.data],
        composition=Composition(form.composition.data),
        opens_at=form.aware(form.opens_at),
        closes_at=form.aware(form.closes_at),
        duration_seconds=form.duration_minutes.data * 60 if form.duration_minutes.data else None,
        grace_seconds=form.grace_seconds.data,
        attempts_allowed=form.attempts_allowed.data,
        grading_method=GradingMethod(form.grading_method.data),
        pass_percent=Decimal(form.pass_percent.data),
        shuffle_questions=form.shuffle_questions.data,
        shuffle_options=form.shuffle_options.data,
        release=ReleasePolicy(form.release.data),
        audience_units=[units[i] for i in form.audience_units.data],
        audience_categories=[MemberCategory(c) for c in form.audience_categories.data],
        course_id=form.course_id.data or None,
    )


@bp.get("/manage")
@route_policy(MANAGER)
def manage_list():
    return render_template(
        "quizzes/manage_list.html",
        quizzes=manageable_quizzes(get_session(), current_user),
        labels=LABELS,
    )


@bp.route("/manage/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def new_quiz():
    form = _quiz_form()
    if form.validate_on_submit():
        session = get_session()
        try:
            created = authoring.create_quiz(session, current_user, _settings(form), now())
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Quiz created. Now add its questions."), "success")
            return redirect(url_for("quizzes.manage_quiz", quiz_id=created.id))
    return render_template("quizzes/form.html", form=form, quiz=None)


@bp.route("/manage/<int:quiz_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def edit_quiz(quiz_id):
    found = _quiz(quiz_id)
    form = _quiz_form(found)
    if form.validate_on_submit():
        session = get_session()
        try:
            authoring.update_quiz(session, current_user, found, _settings(form), now())
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Quiz saved."), "success")
            return redirect(url_for("quizzes.manage_quiz", quiz_id=found.id))
    return render_template("quizzes/form.html", form=form, quiz=found)


def _rule_form(bank_id: int | None = None) -> RuleForm:
    session = get_session()
    form = RuleForm()
    banks = authoring.banks_for(session, current_user)
    form.bank_id.choices = [SelectChoice(b.id, b.name) for b in banks]
    chosen = next((b for b in banks if b.id == (bank_id or form.bank_id.data)), None)
    chosen = chosen or (banks[0] if banks else None)
    points = knowledge_points(session, chosen) if chosen else []
    form.knowledge_point_id.choices = [SelectChoice(0, _("Any knowledge point"))] + [
        SelectChoice(kp.id, kp.full_name) for kp in points
    ]
    return form


@bp.get("/manage/<int:quiz_id>")
@route_policy(MANAGER)
def manage_quiz(quiz_id):
    session = get_session()
    found = _quiz(quiz_id)
    banks = authoring.banks_for(session, current_user)
    bank_id = strict_int_arg("bank") or (banks[0].id if banks else None)
    bank = next((b for b in banks if b.id == bank_id), None)
    picker = None
    if found.composition == Composition.FIXED and bank is not None:
        filters = QuestionFilters(
            status=QuestionStatus.ACTIVE,
            type=request.args.get("type") or None,
            search=(request.args.get("q") or "")[:100],
        )
        picker = questions_page(session, bank, filters, strict_int_arg("page") or 1)
    return render_template(
        "quizzes/manage_quiz.html",
        quiz=found,
        labels=LABELS,
        problems=authoring.paper_problems(session, found),
        banks=banks,
        bank=bank,
        picker=picker,
        add_form=AddQuestionsForm(),
        rule_form=_rule_form(bank_id),
        form=EmptyForm(),
    )


@bp.post("/manage/<int:quiz_id>/questions")
@route_policy(MANAGER)
def add_questions(quiz_id):
    found = _quiz(quiz_id)
    form = AddQuestionsForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        added = authoring.add_questions(session, current_user, found, form.question_ids.data, now())
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
        flash(_("%(n)d questions added.", n=added), "success")
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/items/<int:item_id>/delete")
@route_policy(MANAGER)
def remove_item(quiz_id, item_id):
    found = _quiz(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        authoring.remove_item(session, current_user, found, item_id, now())
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/rules")
@route_policy(MANAGER)
def add_rule(quiz_id):
    found = _quiz(quiz_id)
    form = _rule_form()
    session = get_session()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0] if isinstance(errors, list) else str(errors), "danger")
        return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))
    bank = next(b for b in authoring.banks_for(session, current_user) if b.id == form.bank_id.data)
    point = session.get(KnowledgePoint, form.knowledge_point_id.data or 0)
    try:
        authoring.add_rule(
            session,
            current_user,
            found,
            authoring.RuleInput(
                bank=bank,
                knowledge_point=point,
                question_type=form.question_type.data or None,
                difficulty=form.difficulty.data or None,
                count=form.count.data,
                points=Decimal(form.points.data),
            ),
            now(),
        )
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
        flash(_("Rule added."), "success")
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/rules/<int:rule_id>/delete")
@route_policy(MANAGER)
def remove_rule(quiz_id, rule_id):
    found = _quiz(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        authoring.remove_rule(session, current_user, found, rule_id, now())
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/state")
@route_policy(MANAGER)
def change_state(quiz_id):
    found = _quiz(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = request.form.get("target")
    session = get_session()
    try:
        if target == QuizState.PUBLISHED.value:
            authoring.publish_quiz(session, current_user, found, now())
        elif target == QuizState.ARCHIVED.value:
            authoring.archive_quiz(session, current_user, found, now())
        else:
            abort(400)
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
        flash(_("Quiz updated."), "success")
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.get("/manage/<int:quiz_id>/preview")
@route_policy(MANAGER)
def preview(quiz_id):
    """The paper as an examinee would see it (a sample draw for random rules); no keys."""
    session = get_session()
    found = _quiz(quiz_id)
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


@bp.get("/manage/<int:quiz_id>/report")
@route_policy(MANAGER)
def report(quiz_id):
    session = get_session()
    found = _quiz(quiz_id)
    attempts = attempts_for_report(session, current_user, found)
    return render_template(
        "quizzes/report.html",
        quiz=found,
        report=quiz_report(session, current_user, found),
        attempts=attempts,
        signals=signal_counts(session, [a.id for a in attempts]),
        labels=LABELS,
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
    found = _quiz(quiz_id)
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


@bp.get("/manage/<int:quiz_id>/report.xlsx")
@route_policy(MANAGER)
def report_xlsx(quiz_id):
    """The report as a spreadsheet (formula-safe cells); the export is audited."""
    from openpyxl import Workbook

    # The export is audited: a write, so the transaction starts as one (BEGIN IMMEDIATE on
    # SQLite) rather than upgrading a read under other workers' writes.
    write_intent.set(True)
    session = get_session()
    found = _quiz(quiz_id)
    attempts = attempts_for_report(session, current_user, found)
    signals = signal_counts(session, [a.id for a in attempts])
    data = quiz_report(session, current_user, found)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Attempts")
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
                _local(a.started_at),
                str(ATTEMPT_STATE_LABELS[a.state]),
                float(a.percent) if a.percent is not None else None,
                bool(a.passed) if a.passed is not None else None,
                signals.get(a.id, 0),
            ]
            for a in attempts
        ),
    )
    write_xlsx_sheet(
        book.create_sheet(_("Item analysis")),
        [_("Question"), _("Answers"), _("Facility"), _("Discrimination"), _("Check this item")],
        ([i.stem, i.answers, i.facility, i.discrimination, i.is_weak] for i in data.items),
    )
    record(session, current_user, "quiz.report_exported", "quiz", found.id, now=now())
    commit()
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=quiz-{found.id}-report.xlsx"},
    )
