"""Course authoring screens (admins; secretaries within their unit) and the media route.

Out-of-scope objects answer 404; the MANAGER policy answers 403 to members.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.courses.models import (
    KIND_LABELS,
    STATE_LABELS,
    Course,
    CourseState,
    Lesson,
    LessonKind,
    Module,
)
from learnapp.courses.queries import authoring_summary, can_author
from learnapp.db import get_session
from learnapp.orgs.models import MemberCategory, Unit

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.url_value_preprocessor
def allow_large_uploads(endpoint, _values):
    """Videos are far larger than the site-wide request limit; the upload route alone allows
    more. URL preprocessors run before the CSRF check, which is what first reads the body."""
    if endpoint == "courses.lesson_upload":
        request.max_content_length = current_app.config["COURSE_MEDIA_MAX_BYTES"]


@bp.context_processor
def labels():
    return {
        "state_label": lambda state: str(STATE_LABELS[CourseState(state)]),
        "kind_label": lambda kind: str(KIND_LABELS[LessonKind(kind)]),
        "max_media_mb": current_app.config["COURSE_MEDIA_MAX_BYTES"] // 2**20,
        "categories": list(MemberCategory),
    }


@bp.app_context_processor
def home_helpers():
    def course_authoring_summary():
        return authoring_summary(get_session(), current_user)

    return {"course_authoring_summary": course_authoring_summary}


def media_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "media"


def load_course(course_id: int) -> Course:
    course = get_session().get(Course, course_id)
    if course is None or not can_author(current_user, course):
        abort(404)
    return course


def load_module(module_id: int) -> Module:
    module = get_session().get(Module, module_id)
    if module is None:
        abort(404)
    load_course(module.course_id)
    return module


def load_lesson(lesson_id: int) -> Lesson:
    lesson = get_session().get(Lesson, lesson_id)
    if lesson is None:
        abort(404)
    load_course(lesson.course.id)
    return lesson


def unit_choices(units: list[Unit]) -> list[SelectChoice]:
    base = min((unit.depth for unit in units), default=0)
    return [SelectChoice(unit.id, "　" * (unit.depth - base) + unit.name) for unit in units]


def audience_units_of(form) -> list[Unit]:
    session = get_session()
    return [session.get(Unit, unit_id) for unit_id in form.audience_units.data or []]


def categories_of(form) -> list[MemberCategory]:
    return [MemberCategory(value) for value in form.audience_categories.data or []]


# The routes live in these modules; importing them registers them on `bp`.
from learnapp.courses.views import authoring, lessons  # noqa: E402, F401
