"""Lessons: add, edit, order, file upload, Markdown preview, and serving the files."""

from decimal import Decimal

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import LOGGED_IN, MANAGER, route_policy
from learnapp.clock import now
from learnapp.courses.forms import (
    LessonForm,
    MediaForm,
    MoveForm,
    NewLessonForm,
    format_length,
    parse_length,
)
from learnapp.courses.media import attach_media, media_path
from learnapp.courses.models import Course, Lesson, LessonKind, LessonMedia, Module
from learnapp.courses.queries import (
    can_author,
    lesson_body_html,
    lesson_sources,
    lesson_versions,
    media_url,
    visible_lesson,
)
from learnapp.courses.services import (
    add_lesson,
    delete_lesson,
    lesson_rules,
    move_lesson,
    suggest_nominal_hours,
    update_lesson,
)
from learnapp.courses.views import bp, load_lesson, load_module, media_dir
from learnapp.courses.views.authoring import delete_and_redirect
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.sanitize import SourceTooLong, render_markdown
from learnapp.web import content_disposition, download_fallback


def _lesson_values(form) -> dict:
    return {
        "title": form.title.data,
        "kind": LessonKind(form.kind.data),
        "length_seconds": parse_length(form.length.data),
        "required_share": Decimal(form.required_percent.data) / 100,
        "nominal_hours": form.nominal_hours.data,
        "body_source": form.body_source.data or "",
        "sources": (form.sources.data or "").splitlines(),
    }


def _module_choices(course: Course) -> list[SelectChoice]:
    return [SelectChoice(m.id, m.title) for m in course.modules]


@bp.route("/manage/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def lesson_new(module_id):
    module = load_module(module_id)
    form = NewLessonForm()
    form.module_id.choices = _module_choices(module.course)
    if request.method == "GET":
        form.module_id.data = module.id
    if form.validate_on_submit():
        values = _lesson_values(form)
        target = get_session().get(Module, form.module_id.data)
        try:
            lesson = add_lesson(
                get_session(), current_user, target, slug=form.slug.data, now=now(), **values
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Lesson added."), "success")
            return redirect(url_for("courses.lesson_edit", lesson_id=lesson.id))
    return render_template(
        "courses/lesson_form.html", form=form, module=module, lesson=None
    ), 400 if form.errors else 200


@bp.route("/manage/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def lesson_edit(lesson_id):
    session = get_session()
    lesson = load_lesson(lesson_id)
    form = LessonForm(obj=lesson)
    form.module_id.choices = _module_choices(lesson.course)
    if request.method == "GET":
        version = lesson.current_version
        form.kind.data = lesson.kind.value
        form.length.data = format_length(lesson.length_seconds)
        form.required_percent.data = int(lesson.required_share * 100)
        form.body_source.data = version.body_source if version else ""
        form.sources.data = "\n".join(version.sources) if version else ""
    if form.validate_on_submit():
        try:
            update_lesson(
                session,
                current_user,
                lesson,
                module=session.get(Module, form.module_id.data),
                now=now(),
                **_lesson_values(form),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Lesson saved."), "success")
            return redirect(url_for("courses.lesson_edit", lesson_id=lesson.id))
    return render_template(
        "courses/lesson_form.html",
        form=form,
        module=lesson.module,
        lesson=lesson,
        media_form=MediaForm(formdata=None),
        versions=lesson_versions(session, lesson),
    ), 400 if form.errors else 200


@bp.get("/manage/lessons/<int:lesson_id>/preview")
@route_policy(MANAGER)
def lesson_preview(lesson_id):
    """The lesson as members will see it, for its authors, whatever the course's state (draft
    lessons are not on the study pages); no study time is recorded here."""
    session = get_session()
    lesson = load_lesson(lesson_id)
    return render_template(
        "courses/lesson_preview.html",
        lesson=lesson,
        course=lesson.course,
        body_html=lesson_body_html(session, lesson),
        sources=lesson_sources(session, lesson),
        media=media_url(lesson),
    )


@bp.post("/manage/lessons/<int:lesson_id>/move")
@route_policy(MANAGER)
def lesson_move(lesson_id):
    lesson = load_lesson(lesson_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    move_lesson(
        get_session(), current_user, lesson, -1 if form.direction.data == "up" else 1, now()
    )
    commit()
    return redirect(
        url_for("courses.course_detail", course_id=lesson.course.id) + f"#module-{lesson.module_id}"
    )


@bp.post("/manage/lessons/<int:lesson_id>/delete")
@route_policy(MANAGER)
def lesson_delete(lesson_id):
    lesson = load_lesson(lesson_id)
    course = lesson.course
    back = url_for("courses.course_detail", course_id=course.id) + f"#module-{lesson.module_id}"
    return delete_and_redirect(
        delete_lesson,
        lesson,
        done=_("Lesson deleted."),
        refused_to=back,
        done_to=back,
        synced=course,
    )


@bp.post("/manage/lessons/<int:lesson_id>/media")
@route_policy(MANAGER)
def lesson_upload(lesson_id):
    lesson = load_lesson(lesson_id)
    form = MediaForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "danger")
        return redirect(url_for("courses.lesson_edit", lesson_id=lesson.id))
    upload = form.file.data
    length_before = lesson.length_seconds
    try:
        attach_media(
            get_session(),
            current_user,
            lesson,
            stream=upload.stream,
            filename=upload.filename,
            media_dir=media_dir(),
            max_bytes=current_app.config["COURSE_MEDIA_MAX_BYTES"],
            now=now(),
        )
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(_("File uploaded."), "success")
        if lesson.length_seconds != length_before:
            flash(
                _(
                    "The lesson's length is now the video's duration, %(length)s.",
                    length=_(
                        "%(m)s min %(s)s s",
                        m=lesson.length_seconds // 60,
                        s=lesson.length_seconds % 60,
                    ),
                ),
                "info",
            )
    return redirect(url_for("courses.lesson_edit", lesson_id=lesson.id))


@bp.post("/manage/preview")
@route_policy(MANAGER)
def preview():
    """Markdown rendered and sanitised exactly as a saved lesson would be (fetch, CSRF header)."""
    source = request.form.get("body_source", "")
    try:
        html = render_markdown(source)
    except SourceTooLong:
        return jsonify(error=_("The text is too long.")), 400
    return jsonify(html=html)


@bp.get("/manage/suggest-hours")
@route_policy(MANAGER)
def suggest_hours():
    seconds = parse_length(request.args.get("length", ""))
    if seconds is None:
        return jsonify(hours=None)
    return jsonify(hours=str(suggest_nominal_hours(seconds, lesson_rules(get_session(), now()))))


@bp.get("/lessons/<int:lesson_id>/media/<int:media_id>")
@route_policy(LOGGED_IN)
def lesson_media(lesson_id, media_id):
    """A lesson's video or PDF, with range requests, for its audience and its authors only."""
    session = get_session()
    lesson = session.get(Lesson, lesson_id)
    media = session.get(LessonMedia, media_id)
    if lesson is None or media is None or media.lesson_id != lesson.id:
        abort(404)
    is_author = current_user.is_manager and can_author(current_user, lesson.course)
    # Others get only the file of the current version of a lesson they may study.
    may_study = visible_lesson(session, current_user, lesson.id) is not None
    if not is_author and not (may_study and lesson.media == media):
        abort(404)
    path = media_path(media_dir(), media)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=media.content_type, conditional=True, etag=media.sha256)
    response.headers["Content-Disposition"] = content_disposition(
        media.display_name,
        download_fallback(media.display_name, f"lesson-media-{media.id}"),
        inline=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The lesson page shows PDFs in a frame of this site; nothing else may frame them.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    # Browsers show PDFs through a built-in viewer that a default-src 'none' policy can block.
    response.headers["Content-Security-Policy"] = (
        "frame-ancestors 'self'"
        if media.content_type == "application/pdf"
        else "default-src 'none'; frame-ancestors 'self'"
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
