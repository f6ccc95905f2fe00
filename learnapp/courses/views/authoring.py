"""Courses and modules: list, create, edit, state changes, delete, module order."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now
from learnapp.courses.forms import (
    CourseForm,
    ModuleForm,
    MoveForm,
    NewCourseForm,
    StateForm,
    format_length,
)
from learnapp.courses.media import remove_files
from learnapp.courses.models import CourseState
from learnapp.courses.queries import course_outline, lesson_counts, manageable_courses
from learnapp.courses.services import (
    add_module,
    change_course_state,
    create_course,
    delete_course,
    delete_module,
    move_module,
    update_course,
    update_module,
)
from learnapp.courses.views import (
    audience_units_of,
    bp,
    categories_of,
    load_course,
    load_module,
    media_dir,
    unit_choices,
)
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import pickable_units


@bp.get("/manage")
@route_policy(MANAGER)
def manage_list():
    state = request.args.get("state", "")
    state = CourseState(state) if state in set(CourseState) else None
    courses = manageable_courses(get_session(), current_user, state)
    return render_template(
        "courses/manage_list.html",
        courses=courses,
        counts=lesson_counts(get_session(), courses),
        state=state,
    )


@bp.route("/manage/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def course_new():
    session = get_session()
    form = NewCourseForm()
    owners = list({unit.id: unit for unit in current_user.managed_units}.values())
    form.owner_unit_id.choices = unit_choices(owners)
    form.audience_units.choices = unit_choices(pickable_units(session, current_user))
    if form.validate_on_submit():
        try:
            course = create_course(
                session,
                current_user,
                title=form.title.data,
                summary=form.summary.data,
                is_required=form.is_required.data,
                owner_unit=session.get(Unit, form.owner_unit_id.data),
                audience_units=audience_units_of(form),
                audience_categories=categories_of(form),
                slug=form.slug.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _("Course created as a draft. Add modules and lessons, then publish it."), "success"
            )
            return redirect(url_for("courses.course_detail", course_id=course.id))
    return render_template(
        "courses/course_form.html", form=form, course=None
    ), 400 if form.errors else 200


@bp.get("/manage/<int:course_id>")
@route_policy(MANAGER)
def course_detail(course_id):
    course = load_course(course_id)
    return render_template(
        "courses/course_detail.html",
        course=course,
        outline=course_outline(get_session(), course),
        module_form=ModuleForm(formdata=None),
        button=EmptyForm(),
        format_length=format_length,
    )


@bp.route("/manage/<int:course_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def course_edit(course_id):
    session = get_session()
    course = load_course(course_id)
    form = CourseForm(obj=course)
    form.audience_units.choices = unit_choices(
        [
            u
            for u in pickable_units(
                session, current_user, keep={unit.id for unit in course.audience_units}
            )
            if u.is_within(course.owner_unit)
        ]
    )
    if request.method == "GET":
        form.audience_units.data = [unit.id for unit in course.audience_units]
        form.audience_categories.data = [c.value for c in course.audience_categories]
    if form.validate_on_submit():
        try:
            update_course(
                session,
                current_user,
                course,
                title=form.title.data,
                summary=form.summary.data,
                is_required=form.is_required.data,
                audience_units=audience_units_of(form),
                audience_categories=categories_of(form),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Course saved."), "success")
            return redirect(url_for("courses.course_detail", course_id=course.id))
    return render_template(
        "courses/course_form.html", form=form, course=course
    ), 400 if form.errors else 200


STATE_MESSAGES = {
    CourseState.PUBLISHED: _l("Course published: members in its audience see it now."),
    CourseState.ARCHIVED: _l("Course archived: members no longer see it."),
    CourseState.DRAFT: _l("Course returned to draft: members no longer see it."),
}


@bp.post("/manage/<int:course_id>/state")
@route_policy(MANAGER)
def course_state(course_id):
    course = load_course(course_id)
    form = StateForm()
    if not form.validate_on_submit():
        abort(400)
    target = CourseState(form.target.data)
    try:
        change_course_state(get_session(), current_user, course, target, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(str(STATE_MESSAGES[target]), "success")
    return redirect(url_for("courses.course_detail", course_id=course.id))


@bp.post("/manage/<int:course_id>/delete")
@route_policy(MANAGER)
def course_delete(course_id):
    course = load_course(course_id)
    return delete_and_redirect(
        delete_course,
        course,
        done=_("Course deleted."),
        refused_to=url_for("courses.course_detail", course_id=course.id),
        done_to=url_for("courses.manage_list"),
    )


@bp.post("/manage/<int:course_id>/modules")
@route_policy(MANAGER)
def module_new(course_id):
    course = load_course(course_id)
    form = ModuleForm()
    if form.validate_on_submit():
        try:
            add_module(get_session(), current_user, course, title=form.title.data, now=now())
        except DomainError as error:
            flash(error.message, "danger")
        else:
            commit()
            flash(_("Module added."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
    return redirect(url_for("courses.course_detail", course_id=course.id))


@bp.route("/manage/modules/<int:module_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def module_edit(module_id):
    module = load_module(module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        try:
            update_module(get_session(), current_user, module, title=form.title.data, now=now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Module saved."), "success")
            return redirect(url_for("courses.course_detail", course_id=module.course_id))
    return render_template(
        "courses/module_form.html", form=form, module=module
    ), 400 if form.errors else 200


@bp.post("/manage/modules/<int:module_id>/delete")
@route_policy(MANAGER)
def module_delete(module_id):
    module = load_module(module_id)
    course = module.course
    return delete_and_redirect(
        delete_module,
        module,
        done=_("Module deleted with its lessons."),
        refused_to=url_for("courses.course_detail", course_id=course.id) + f"#module-{module.id}",
        done_to=url_for("courses.course_detail", course_id=course.id),
        synced=course,
    )


def delete_and_redirect(remove, subject, *, done: str, refused_to: str, done_to: str, synced=None):
    """Delete a course, module or lesson with its service `remove`: a refusal is flashed with
    its reason and leads to `refused_to`; a deletion removes the stored media files and leads
    to `done_to`, with the note of a synced course when `synced` is one."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        keys = remove(get_session(), current_user, subject, now())
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(refused_to)
    commit()
    remove_files(media_dir(), keys)
    flash(done, "success")
    if synced is not None:
        flash_synced_note(synced)
    return redirect(done_to)


def flash_synced_note(course) -> None:
    """A synced course gets lessons back from its files on the next sync."""
    if course.content_folder:
        flash(
            _(
                "This course comes from the content folder %(folder)s: what is still in its "
                "files comes back on the next sync.",
                folder=f"courses/{course.content_folder}",
            ),
            "info",
        )


@bp.post("/manage/modules/<int:module_id>/move")
@route_policy(MANAGER)
def module_move(module_id):
    module = load_module(module_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    move_module(
        get_session(), current_user, module, -1 if form.direction.data == "up" else 1, now()
    )
    commit()
    return redirect(
        url_for("courses.course_detail", course_id=module.course_id) + f"#module-{module.id}"
    )
