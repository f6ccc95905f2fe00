"""Read API of the courses package: what a member may see, and what authors manage.

Other packages (study, quizzes, discussions) read courses only through this module.
"""

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import Session, lazyload, selectinload

from learnapp.authz import unit_in_scope_clause
from learnapp.courses.models import (
    Course,
    CourseCategory,
    CourseState,
    Lesson,
    LessonVersion,
    Module,
    course_audience_units,
)
from learnapp.orgs.models import Unit


def audience_clause(user):
    """SQL condition: the course's audience includes the user.

    A course with no audience units is for the whole organisation; an audience unit covers its
    subtree, so the user matches when an audience unit is their unit or one of its ancestors.
    No audience categories means every category.
    """
    unit_ids = (
        [int(part) for part in user.unit.path.strip("/").split("/") if part] if user.unit else []
    )
    no_units = ~sa.exists().where(course_audience_units.c.course_id == Course.id)
    unit_match = sa.exists().where(
        course_audience_units.c.course_id == Course.id,
        course_audience_units.c.unit_id.in_(unit_ids),
    )
    no_categories = ~sa.exists().where(CourseCategory.course_id == Course.id)
    category_match = sa.exists().where(
        CourseCategory.course_id == Course.id, CourseCategory.category == user.category
    )
    return sa.and_(
        sa.or_(no_units, unit_match) if unit_ids else no_units,
        sa.or_(no_categories, category_match),
    )


def visible_courses(session: Session, user) -> list[Course]:
    """Published courses whose audience includes the user, required (必修) first."""
    return list(
        session.scalars(
            sa.select(Course)
            .where(Course.state == CourseState.PUBLISHED, audience_clause(user))
            .order_by(Course.is_required.desc(), Course.id)
        )
    )


def visible_lesson(session: Session, user, lesson_id: int) -> Lesson | None:
    """The lesson if it belongs to a published course the user is in the audience of."""
    return session.scalar(
        sa.select(Lesson)
        .join(Module, Lesson.module_id == Module.id)
        .join(Course, Module.course_id == Course.id)
        .where(
            Lesson.id == lesson_id,
            Course.state == CourseState.PUBLISHED,
            audience_clause(user),
        )
    )


def course_outline(session: Session, course: Course) -> list[tuple[Module, list[Lesson]]]:
    """The course's modules in order, each with its lessons in order."""
    modules = session.scalars(
        sa.select(Module)
        .where(Module.course_id == course.id)
        .options(selectinload(Module.lessons))
        .order_by(Module.position, Module.id)
    ).all()
    return [(module, list(module.lessons)) for module in modules]


def course_outlines(
    session: Session, courses: list[Course]
) -> dict[int, list[tuple[Module, list[Lesson]]]]:
    """course_outline for many courses in two queries (the member's course list and My study).

    Modules and lessons find their course and module in the session instead of joining them
    again for every row.
    """
    outlines: dict[int, list[tuple[Module, list[Lesson]]]] = {c.id: [] for c in courses}
    if not courses:
        return outlines
    modules = session.scalars(
        sa.select(Module)
        .where(Module.course_id.in_(list(outlines)))
        .options(lazyload(Module.course))
        .order_by(Module.course_id, Module.position, Module.id)
    ).all()
    lessons: dict[int, list[Lesson]] = {module.id: [] for module in modules}
    if modules:
        for lesson in session.scalars(
            sa.select(Lesson)
            .where(Lesson.module_id.in_(list(lessons)))
            .options(lazyload(Lesson.module))
            .order_by(Lesson.module_id, Lesson.position, Lesson.id)
        ):
            lessons[lesson.module_id].append(lesson)
    for module in modules:
        outlines[module.course_id].append((module, lessons[module.id]))
    return outlines


def lesson_body_html(session: Session, lesson: Lesson) -> str:
    """The current version's sanitised HTML ("" before any content was written)."""
    if lesson.current_version_id is None:
        return ""
    version = session.get(LessonVersion, lesson.current_version_id)
    return version.body_html if version else ""


def lesson_sources(session: Session, lesson: Lesson) -> list[str]:
    """The current version's sources (出处), plain text, one citation each."""
    if lesson.current_version_id is None:
        return []
    version = session.get(LessonVersion, lesson.current_version_id)
    return list(version.sources or []) if version else []


def media_url(lesson: Lesson) -> str | None:
    """URL of the lesson's current video or PDF, served with range requests by this package."""
    media = lesson.media
    if media is None:
        return None
    return url_for("courses.lesson_media", lesson_id=lesson.id, media_id=media.id)


def lesson_versions(session: Session, lesson: Lesson) -> list[LessonVersion]:
    return list(
        session.scalars(
            sa.select(LessonVersion)
            .where(LessonVersion.lesson_id == lesson.id)
            .order_by(LessonVersion.number.desc())
        )
    )


def lesson_count(session: Session, course: Course) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Lesson)
        .join(Module, Lesson.module_id == Module.id)
        .where(Module.course_id == course.id)
    )


def manageable_courses_clause(user):
    """SQL condition: the user may author the course (its owner unit is in their scope)."""
    return Course.owner_unit_id.in_(
        sa.select(Unit.id).where(unit_in_scope_clause(user, Unit.path)).scalar_subquery()
    )


def manageable_courses(session: Session, user, state: CourseState | None = None) -> list[Course]:
    """Courses the user may author, newest first; admins see every course."""
    query = sa.select(Course).where(manageable_courses_clause(user))
    if state is not None:
        query = query.where(Course.state == state)
    return list(session.scalars(query.order_by(Course.updated_at.desc(), Course.id.desc())))


def authoring_summary(session: Session, user) -> dict[CourseState, int]:
    """How many courses the user may author, by state (the manager's home page)."""
    rows = session.execute(
        sa.select(Course.state, sa.func.count())
        .where(manageable_courses_clause(user))
        .group_by(Course.state)
    ).all()
    counts = dict.fromkeys(CourseState, 0)
    counts.update(dict(rows))
    return counts


def lesson_counts(session: Session, courses: list[Course]) -> dict[int, int]:
    if not courses:
        return {}
    rows = session.execute(
        sa.select(Module.course_id, sa.func.count(Lesson.id))
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id.in_([c.id for c in courses]))
        .group_by(Module.course_id)
    ).all()
    counts = dict.fromkeys((c.id for c in courses), 0)
    counts.update(dict(rows))
    return counts


def can_author(user, course: Course) -> bool:
    if user.is_admin:
        return True
    return any(course.owner_unit.is_within(unit) for unit in user.managed_units)
