"""Authors' pages for a quiz's paper: the authoring page with its question picker, the fixed
paper's questions and points, and the random rules."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import MANAGER, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.question_bank.models import KnowledgePoint, QuestionStatus
from learnapp.question_bank.queries import QuestionFilters, knowledge_points, questions_page
from learnapp.question_bank.types import TYPES, points_text
from learnapp.quizzes import composition
from learnapp.quizzes.forms import AddQuestionsForm, PaperPointsForm, RuleForm
from learnapp.quizzes.models import Composition
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.manage import LABELS, quiz_or_404


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
