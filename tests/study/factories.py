"""Factories for study tests: a published course with lessons; flush, never commit. A video or
PDF lesson has its file (a media row; no bytes on disk) unless `has_file=False`."""

import itertools
from decimal import Decimal

from learnapp.courses.models import (
    Course,
    CourseState,
    Lesson,
    LessonKind,
    LessonMedia,
    LessonVersion,
    Module,
)
from tests.factories import FIXED_NOW

_sequence = itertools.count(1)


def make_course(session, *, owner_unit, state=CourseState.PUBLISHED, audience_units=(), **fields):
    number = next(_sequence)
    course = Course(
        slug=f"study-course-{number}",
        title=fields.pop("title", f"学习课程{number}"),
        summary="",
        is_required=fields.pop("is_required", True),
        state=state,
        owner_unit=owner_unit,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
        **fields,
    )
    course.audience_units = list(audience_units)
    session.add(course)
    session.flush()
    module = Module(course=course, position=0, title=f"第{number}章")
    session.add(module)
    session.flush()
    return course


def make_lesson(
    session,
    *,
    course,
    kind=LessonKind.TEXT,
    length_seconds=120,
    nominal_hours="0.25",
    required_share="0.80",
    has_file=True,
    **fields,
) -> Lesson:
    number = next(_sequence)
    module = course.modules[0]
    lesson = Lesson(
        module=module,
        position=fields.pop("position", number),
        slug=f"study-lesson-{number}",
        title=fields.pop("title", f"学习第{number}节"),
        kind=kind,
        length_seconds=length_seconds,
        required_share=Decimal(required_share),
        nominal_hours=Decimal(nominal_hours),
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    session.add(lesson)
    session.flush()
    if kind.needs_media and has_file:
        _attach_file(session, lesson, number)
    return lesson


def _attach_file(session, lesson: Lesson, number: int) -> None:
    media = LessonMedia(
        lesson_id=lesson.id,
        storage_key=f"study-{number:026d}",
        display_name=f"{lesson.title}.bin",
        content_type="video/mp4" if lesson.kind == LessonKind.VIDEO else "application/pdf",
        size_bytes=1,
        sha256=f"{number:064d}",
        uploaded_at=FIXED_NOW,
    )
    session.add(media)
    session.flush()
    version = LessonVersion(
        lesson_id=lesson.id,
        number=1,
        media_id=media.id,
        content_hash=f"study-{number}",
        created_at=FIXED_NOW,
    )
    session.add(version)
    session.flush()
    lesson.current_version = version
    session.flush()
