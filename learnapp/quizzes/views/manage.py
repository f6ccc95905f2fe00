"""Authors' pages: quiz definitions, their papers and rules, publishing, the preview.
Admins everywhere; secretaries and committee members for quizzes owned in their subtree."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import MANAGER, route_policy, strict_int_arg
from learnapp.clock import now, org_timezone
from learnapp.courses.queries import manageable_courses
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import MemberCategory
from learnapp.orgs.queries import pickable_units, units_in_scope
from learnapp.question_bank.models import KnowledgePoint, QuestionStatus
from learnapp.question_bank.queries import QuestionFilters, knowledge_points, questions_page
from learnapp.question_bank.types import TYPES, points_text
from learnapp.quizzes import authoring, composition
from learnapp.quizzes.forms import AddQuestionsForm, PaperPointsForm, QuizForm, RuleForm
from learnapp.quizzes.models import (
    ATTEMPT_STATE_LABELS,
    COMPOSITION_LABELS,
    GRADING_LABELS,
    KIND_LABELS,
    RELEASE_LABELS,
    STATE_LABELS,
    Composition,
    GradingMethod,
    QuizKind,
    QuizState,
    ReleasePolicy,
)
from learnapp.quizzes.queries import (
    manageable_quiz,
    manageable_quizzes,
    reportable_quizzes,
)
from learnapp.quizzes.views import bp

LABELS = {
    "kinds": KIND_LABELS,
    "states": STATE_LABELS,
    "compositions": COMPOSITION_LABELS,
    "grading": GRADING_LABELS,
    "release": RELEASE_LABELS,
    "attempt_states": ATTEMPT_STATE_LABELS,
}


def quiz_or_404(quiz_id: int):
    found = manageable_quiz(get_session(), current_user, quiz_id)
    if found is None:
        abort(404)
    return found


def _quiz_form(quiz=None) -> QuizForm:
    session = get_session()
    form = QuizForm(obj=quiz) if quiz is not None else QuizForm()
    held = {quiz.owner_unit_id, *(u.id for u in quiz.audience_units)} if quiz is not None else ()
    units = pickable_units(session, current_user, keep=held)
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
        form.opens_at.data = local_naive(quiz.opens_at)
        form.closes_at.data = local_naive(quiz.closes_at)
    return form


def local_naive(value):
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
        reportable=reportable_quizzes(get_session(), current_user),
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
    found = quiz_or_404(quiz_id)
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
    banks = composition.banks_for(session, current_user)
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
    return _manage_page(quiz_or_404(quiz_id), strict_int_arg("bank"))


def _points_form(found) -> PaperPointsForm:
    """The paper's own points as they are stored, one entry per item (empty: the bank's)."""
    return PaperPointsForm(
        formdata=None,
        data={
            "items": [
                {
                    "item_id": item.id,
                    "points": None if item.points is None else Decimal(points_text(item.points)),
                }
                for item in found.items
            ]
        },
    )


def _manage_page(
    found,
    bank_id: int | None,
    rule_form: RuleForm | None = None,
    status=200,
    points_form: PaperPointsForm | None = None,
):
    """The authoring page; `rule_form` is a refused rule and `points_form` refused points,
    shown again with their input and errors."""
    session = get_session()
    banks = composition.banks_for(session, current_user)
    bank_id = bank_id or (banks[0].id if banks else None)
    bank = next((b for b in banks if b.id == bank_id), None)
    picker = None
    locked = composition.paper_locked_reason(session, found)
    if found.composition == Composition.FIXED and bank is not None and locked is None:
        filters = QuestionFilters(
            status=QuestionStatus.ACTIVE,
            type=request.args.get("type") or None,
            search=(request.args.get("q") or "")[:100],
        )
        picker = questions_page(session, bank, filters, strict_int_arg("page") or 1)
    points_form = points_form or _points_form(found)
    return (
        render_template(
            "quizzes/manage_quiz.html",
            quiz=found,
            labels=LABELS,
            problems=composition.paper_problems(session, found),
            totals=composition.paper_totals(session, found),
            bank_points=composition.bank_points(session, found),
            points_form=points_form,
            points_entries={entry.item_id.data: entry for entry in points_form.items},
            locked=locked,
            type_labels={code: kind.label for code, kind in TYPES.items()},
            banks=banks,
            bank=bank,
            picker=picker,
            picker_args={**_picker_args(), "bank": bank.id} if bank is not None else {},
            on_paper={item.question_id for item in found.items},
            add_form=AddQuestionsForm(),
            rule_form=rule_form or _rule_form(bank_id),
            form=EmptyForm(),
        ),
        status,
    )


@bp.post("/manage/<int:quiz_id>/questions")
@route_policy(MANAGER)
def add_questions(quiz_id):
    found = quiz_or_404(quiz_id)
    form = AddQuestionsForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        done = composition.add_questions(
            session, current_user, found, form.question_ids.data, now()
        )
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
        flash(_("%(n)d questions added.", n=done.added), "success")
        if done.skipped:
            flash(
                ngettext(
                    "%(num)d question chosen was already on the paper and was skipped.",
                    "%(num)d questions chosen were already on the paper and were skipped.",
                    done.skipped,
                ),
                "info",
            )
    # Back to the picker as it was: the same bank, search, type and page.
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id, **_picker_args()))


def _picker_args() -> dict:
    """The picker's filters of the page the request came from (its query string)."""
    args = {
        "bank": strict_int_arg("bank"),
        "q": (request.args.get("q") or "")[:100],
        "type": request.args.get("type") if request.args.get("type") in TYPES else None,
        "page": strict_int_arg("page"),
    }
    return {name: value for name, value in args.items() if value}


@bp.post("/manage/<int:quiz_id>/points")
@route_policy(MANAGER)
def set_points(quiz_id):
    """Save the points of the paper's questions together; refused ones are shown again in
    place, and nothing is stored."""
    found = quiz_or_404(quiz_id)
    form = PaperPointsForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            composition.set_item_points(
                session,
                current_user,
                found,
                {entry.item_id.data: entry.points.data for entry in form.items},
                now(),
            )
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Points saved."), "success")
            return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id, _anchor="paper"))
    return _manage_page(found, None, status=400, points_form=form)


@bp.post("/manage/<int:quiz_id>/items/<int:item_id>/delete")
@route_policy(MANAGER)
def remove_item(quiz_id, item_id):
    return _remove(quiz_id, composition.remove_item, item_id)


def _remove(quiz_id: int, service, row_id: int):
    """A POST-only button that takes a question or a rule off the quiz."""
    found = quiz_or_404(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        service(session, current_user, found, row_id, now())
    except DomainError as error:
        session.rollback()
        flash(error.message, "danger")
    else:
        commit()
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/rules")
@route_policy(MANAGER)
def add_rule(quiz_id):
    """Add a rule; a refused one is shown again on the page with what was entered."""
    found = quiz_or_404(quiz_id)
    form = _rule_form()
    session = get_session()
    if not form.validate_on_submit():
        return _manage_page(found, form.bank_id.data, form, 400)
    bank = next(
        b for b in composition.banks_for(session, current_user) if b.id == form.bank_id.data
    )
    point = session.get(KnowledgePoint, form.knowledge_point_id.data or 0)
    try:
        composition.add_rule(
            session,
            current_user,
            found,
            composition.RuleInput(
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
        apply_domain_error(form, error)
        return _manage_page(found, form.bank_id.data, form, 400)
    commit()
    flash(_("Rule added."), "success")
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))


@bp.post("/manage/<int:quiz_id>/rules/<int:rule_id>/delete")
@route_policy(MANAGER)
def remove_rule(quiz_id, rule_id):
    return _remove(quiz_id, composition.remove_rule, rule_id)


@bp.post("/manage/<int:quiz_id>/state")
@route_policy(MANAGER)
def change_state(quiz_id):
    found = quiz_or_404(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = request.form.get("target")
    session = get_session()
    if target == QuizState.PUBLISHED.value:
        change, done = authoring.publish_quiz, _("Quiz published. Its audience can take it now.")
    elif target == QuizState.ARCHIVED.value:
        change, done = authoring.archive_quiz, _("Quiz archived. Members can no longer start it.")
    else:
        abort(400)
    try:
        change(session, current_user, found, now())
    except DomainError as error:
        session.rollback()
        # The page lists the paper's problems itself: the flash only says what happened.
        if error.field == "paper":
            flash(_("Not published: first solve the problems listed on this page."), "danger")
        else:
            flash(error.message, "danger")
    else:
        commit()
        flash(done, "success")
    return redirect(url_for("quizzes.manage_quiz", quiz_id=quiz_id))
