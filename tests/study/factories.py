"""Factories for study tests: a published course with lessons; flush, never commit."""

import itertools
from decimal import Decimal

from learnapp.courses.models import Course, CourseState, Lesson, LessonKind, Module
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
    return lesson
