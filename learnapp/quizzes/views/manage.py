"""Authors' pages: the list of quizzes, their settings and publishing (the paper and its rules
are paper.py's, the preview preview.py's). Admins everywhere; secretaries and committee members for quizzes owned in their subtree."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now, org_timezone
from learnapp.courses.queries import manageable_courses
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import MemberCategory
from learnapp.orgs.queries import pickable_units, units_in_scope
from learnapp.quizzes import authoring
from learnapp.quizzes.forms import QuizForm
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
    return render_template(
        "quizzes/form.html",
        form=form,
        quiz=found,
        locked=authoring.settings_locked(get_session(), current_user, found, now()),
    )


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
