"""Course use cases: description, audience, state, modules and their order."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.courses.models import Course, CourseState, Lesson, Module
from learnapp.courses.queries import lesson_count
from learnapp.courses.services.common import (
    MAX_SUMMARY,
    clean_slug,
    clean_title,
    require_author,
)
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Unit
from learnapp.sanitize import strip_bidi


def _check_audience(owner: Unit, units: Iterable[Unit], actor) -> list[Unit]:
    """Audience units lie inside the owner unit's subtree (and the actor's scope).

    A course owned by a unit below the top reaches no further than that unit: when no audience
    unit is chosen, the owner unit itself is the audience, so a branch course never becomes a
    course for the whole organisation.
    """
    chosen = list({unit.id: unit for unit in units}.values())
    for unit in chosen:
        if not unit.is_within(owner) or (actor is not None and not can_manage_unit(actor, unit)):
            raise DomainError(
                "audience_units", _l("An audience unit is outside your organisation.")
            )
    if not chosen and owner.parent_id is not None:
        chosen = [owner]
    return chosen


def _course_snapshot(course: Course) -> dict:
    return {
        "slug": course.slug,
        "title": course.title,
        "is_required": course.is_required,
        "state": course.state.value,
        "owner_unit_id": course.owner_unit_id,
        "audience_units": sorted(unit.id for unit in course.audience_units),
        "audience_categories": sorted(c.value for c in course.audience_categories),
    }


def create_course(
    session: Session,
    actor,
    *,
    title: str,
    summary: str = "",
    is_required: bool = False,
    owner_unit: Unit,
    audience_units: Iterable[Unit] = (),
    audience_categories: Iterable[MemberCategory] = (),
    slug: str | None = None,
    content_folder: str | None = None,
    now: datetime,
) -> Course:
    """A new course starts as a draft, owned by a unit the actor manages."""
    if actor is not None and not can_manage_unit(actor, owner_unit):
        raise DomainError("owner_unit_id", _l("The owner unit is outside your organisation."))
    course = Course(
        slug=clean_slug(session, Course, slug, None),
        title=clean_title(title),
        summary=_clean_summary(summary),
        is_required=bool(is_required),
        state=CourseState.DRAFT,
        owner_unit=owner_unit,
        content_folder=content_folder,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
    )
    course.audience_units = _check_audience(owner_unit, audience_units, actor)
    course.set_audience_categories(audience_categories)
    session.add(course)
    session.flush()
    record(
        session,
        actor,
        "course.created",
        "course",
        course.id,
        now=now,
        after=_course_snapshot(course),
    )
    return course


def _clean_summary(summary: str) -> str:
    summary = strip_bidi((summary or "").strip())
    if len(summary) > MAX_SUMMARY:
        raise DomainError("summary", _l("At most %(n)d characters.", n=MAX_SUMMARY))
    return summary


def update_course(
    session: Session,
    actor,
    course: Course,
    *,
    title: str,
    summary: str,
    is_required: bool,
    audience_units: Iterable[Unit],
    audience_categories: Iterable[MemberCategory],
    now: datetime,
) -> bool:
    """Change a course's description and audience; returns whether anything changed."""
    require_author(actor, course)
    before = _course_snapshot(course)
    course.title = clean_title(title)
    course.summary = _clean_summary(summary)
    course.is_required = bool(is_required)
    units = _check_audience(course.owner_unit, audience_units, actor)
    if sorted(u.id for u in units) != sorted(u.id for u in course.audience_units):
        course.audience_units = units
    course.set_audience_categories(audience_categories)
    session.flush()
    after = _course_snapshot(course)
    if after == before:
        return False
    course.updated_at = now
    record(
        session, actor, "course.updated", "course", course.id, now=now, before=before, after=after
    )
    return True


def _publishable(session: Session, course: Course) -> None:
    if lesson_count(session, course) == 0:
        raise DomainError(None, _l("Add at least one lesson before publishing."))
    for module in course.modules:
        for lesson in module.lessons:
            if lesson.current_version_id is None:
                raise DomainError(
                    None, _l("The lesson “%(title)s” has no content yet.", title=lesson.title)
                )
            if lesson.kind.needs_media and lesson.media is None:
                raise DomainError(
                    None, _l("The lesson “%(title)s” needs its file.", title=lesson.title)
                )


def change_course_state(
    session: Session, actor, course: Course, target: CourseState, now: datetime
) -> None:
    """Publish, archive or return to draft; illegal moves and empty courses are refused.

    The state is changed by a conditional UPDATE so two authors acting at once cannot both
    succeed from the same starting state.
    """
    require_author(actor, course)
    before = course.state
    if target == CourseState.PUBLISHED and course.can_move_to(target):
        _publishable(session, course)
    session.flush()
    with session.no_autoflush:
        {
            CourseState.PUBLISHED: course.publish,
            CourseState.ARCHIVED: course.archive,
            CourseState.DRAFT: course.back_to_draft,
        }[target](now)
        result = session.execute(
            sa.update(Course)
            .where(Course.id == course.id, Course.state == before)
            .values(state=target, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        session.refresh(course)
        raise DomainError(
            None, _l("This course was changed meanwhile. Check its state, then try again.")
        )
    record(
        session,
        actor,
        "course.state_changed",
        "course",
        course.id,
        now=now,
        before={"state": before.value},
        after={"state": target.value},
    )


def add_module(session: Session, actor, course: Course, *, title: str, now: datetime) -> Module:
    """A module (章) goes to the end of the course."""
    require_author(actor, course)
    position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Module.position), -1) + 1).where(
            Module.course_id == course.id
        )
    )
    module = Module(course=course, position=position, title=clean_title(title))
    session.add(module)
    course.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "module.created",
        "course",
        course.id,
        now=now,
        after={"title": module.title},
    )
    return module


def update_module(session: Session, actor, module: Module, *, title: str, now: datetime) -> None:
    """Rename a module (章); only an author of its course may."""
    require_author(actor, module.course)
    before = module.title
    module.title = clean_title(title)
    if module.title != before:
        module.course.updated_at = now
        session.flush()
        record(
            session,
            actor,
            "module.updated",
            "course",
            module.course_id,
            now=now,
            before={"title": before},
            after={"title": module.title},
        )


def _ordered(items) -> list:
    # Loaded collections keep their load order after positions change in this session.
    return sorted(items, key=lambda each: (each.position, each.id))


def _swap(items: list, item, direction: int) -> bool:
    index = items.index(item)
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items):
        each.position = position
    return True


def move_module(session: Session, actor, module: Module, direction: int, now: datetime) -> bool:
    """Move a module one place up (direction < 0) or down; False at either end."""
    require_author(actor, module.course)
    moved = _swap(_ordered(module.course.modules), module, direction)
    if moved:
        module.course.updated_at = now
        session.flush()
    return moved


def move_lesson(session: Session, actor, lesson: Lesson, direction: int, now: datetime) -> bool:
    """Move a lesson one place up or down within its module; False at either end."""
    require_author(actor, lesson.course)
    moved = _swap(_ordered(lesson.module.lessons), lesson, direction)
    if moved:
        lesson.course.updated_at = now
        session.flush()
    return moved
