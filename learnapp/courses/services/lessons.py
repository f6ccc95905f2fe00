"""Lesson use cases: numbers (length, share, 学时), content versions, adding and editing."""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.courses.models import (
    DEFAULT_REQUIRED_SHARE,
    Lesson,
    LessonKind,
    LessonMedia,
    LessonVersion,
    Module,
)
from learnapp.courses.services.common import (
    HOURS_STEP,
    MAX_LENGTH_SECONDS,
    MAX_NOMINAL_HOURS,
    MAX_SOURCE_CHARS,
    MAX_SOURCES,
    clean_slug,
    clean_title,
    follows_length,
    lesson_rules,
    require_author,
    suggest_nominal_hours,
)
from learnapp.errors import DomainError
from learnapp.hours.rules import Rules
from learnapp.sanitize import SourceTooLong, render_markdown, strip_bidi


def check_lesson_numbers(
    length_seconds: int,
    required_share: Decimal,
    nominal_hours: Decimal | None,
    rules: Rules,
) -> Decimal:
    """Validate the numbers of a lesson; returns the nominal 学时 (suggested when None)."""
    if not isinstance(length_seconds, int) or not 0 < length_seconds <= MAX_LENGTH_SECONDS:
        raise DomainError("length", _l("The length must be between 1 second and 24 hours."))
    try:
        share = Decimal(required_share)
    except (InvalidOperation, TypeError, ValueError):
        share = Decimal("NaN")
    if not share.is_finite() or not Decimal(0) < share <= Decimal(1):
        raise DomainError(
            "required_percent", _l("The required share must be above 0 and at most 100%.")
        )
    if share != share.quantize(HOURS_STEP):
        raise DomainError("required_percent", _l("Use whole percents."))
    if nominal_hours is None:
        return suggest_nominal_hours(length_seconds, rules)
    try:
        hours = Decimal(nominal_hours)
    except (InvalidOperation, TypeError, ValueError):
        hours = Decimal("NaN")
    if not hours.is_finite() or not Decimal(0) < hours <= MAX_NOMINAL_HOURS:
        raise DomainError("nominal_hours", _l("Study hours must be above 0 and at most 8."))
    if hours != hours.quantize(HOURS_STEP):
        raise DomainError("nominal_hours", _l("Use at most two decimal places."))
    return hours.quantize(HOURS_STEP)


def _clean_sources(sources: Iterable[str]) -> list[str]:
    cleaned = [strip_bidi(" ".join(str(s).split())) for s in sources]
    cleaned = [s for s in cleaned if s]
    if len(cleaned) > MAX_SOURCES:
        raise DomainError("sources", _l("At most %(n)d sources.", n=MAX_SOURCES))
    if any(len(s) > MAX_SOURCE_CHARS for s in cleaned):
        raise DomainError(
            "sources", _l("Each source has at most %(n)d characters.", n=MAX_SOURCE_CHARS)
        )
    return cleaned


def content_hash(body_source: str, sources: list[str], media: LessonMedia | None) -> str:
    """What makes two versions the same: the Markdown, the sources and the file bytes."""
    payload = json.dumps(
        {"body": body_source, "sources": sources, "media": media.sha256 if media else None},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def write_version(
    session: Session,
    actor,
    lesson: Lesson,
    *,
    body_source: str,
    sources: Iterable[str],
    media: LessonMedia | None,
    now: datetime,
) -> LessonVersion | None:
    """Store the content as a new version when it differs from the current one.

    Old versions are kept; progress of members hangs on the lesson, so it survives a revision.
    Returns the new version, or None when nothing changed.
    """
    body_source = (body_source or "").replace("\r\n", "\n")
    clean_sources = _clean_sources(sources)
    digest = content_hash(body_source, clean_sources, media)
    current = lesson.current_version
    if current is not None and current.content_hash == digest:
        return None
    try:
        body_html = render_markdown(body_source)
    except SourceTooLong:
        raise DomainError("body_source", _l("The text is too long.")) from None
    number = (current.number if current else 0) + 1
    version = LessonVersion(
        lesson_id=lesson.id,
        number=number,
        body_source=body_source,
        body_html=body_html,
        sources=clean_sources,
        media=media,
        content_hash=digest,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    session.add(version)
    session.flush()
    lesson.current_version = version
    lesson.updated_at = now
    session.flush()
    return version


def _lesson_snapshot(lesson: Lesson) -> dict:
    return {
        "slug": lesson.slug,
        "title": lesson.title,
        "kind": lesson.kind.value,
        "module_id": lesson.module_id,
        "length_seconds": lesson.length_seconds,
        "required_share": str(lesson.required_share),
        "nominal_hours": str(lesson.nominal_hours),
        "version": lesson.current_version.number if lesson.current_version else None,
    }


def add_lesson(
    session: Session,
    actor,
    module: Module,
    *,
    title: str,
    kind: LessonKind,
    length_seconds: int,
    required_share: Decimal = DEFAULT_REQUIRED_SHARE,
    nominal_hours: Decimal | None = None,
    body_source: str = "",
    sources: Iterable[str] = (),
    slug: str | None = None,
    now: datetime,
) -> Lesson:
    """Add a lesson at the end of a module; its nominal 学时 is suggested when not given."""
    require_author(actor, module.course)
    hours = check_lesson_numbers(
        length_seconds, required_share, nominal_hours, lesson_rules(session, now)
    )
    position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Lesson.position), -1) + 1).where(
            Lesson.module_id == module.id
        )
    )
    lesson = Lesson(
        module=module,
        position=position,
        slug=clean_slug(session, Lesson, slug, None),
        title=clean_title(title),
        kind=LessonKind(kind),
        length_seconds=length_seconds,
        required_share=Decimal(required_share).quantize(HOURS_STEP),
        nominal_hours=hours,
        created_at=now,
        updated_at=now,
    )
    session.add(lesson)
    session.flush()
    if body_source or sources or not lesson.kind.needs_media:
        write_version(
            session, actor, lesson, body_source=body_source, sources=sources, media=None, now=now
        )
    module.course.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "lesson.created",
        "lesson",
        lesson.id,
        now=now,
        after=_lesson_snapshot(lesson),
    )
    return lesson


def update_lesson(
    session: Session,
    actor,
    lesson: Lesson,
    *,
    title: str,
    kind: LessonKind,
    length_seconds: int,
    required_share: Decimal,
    nominal_hours: Decimal | None,
    body_source: str,
    sources: Iterable[str],
    module: Module | None = None,
    now: datetime,
) -> bool:
    """Edit a lesson; changed content becomes a new version. Returns whether anything changed.

    When the length changes, 学时 left empty or equal to the old length's suggestion follow the
    new length (`follows_length`); a value the author chose is kept.

    A lesson may move to another module of the same course only. Changing the kind drops the
    file of the old kind from the new version (a video is not a PDF).
    """
    require_author(actor, lesson.course)
    if module is not None and module.course_id != lesson.module.course_id:
        raise DomainError("module_id", _l("Choose a module of the same course."))
    rules = lesson_rules(session, now)
    if isinstance(length_seconds, int):
        nominal_hours = follows_length(nominal_hours, lesson.length_seconds, length_seconds, rules)
    hours = check_lesson_numbers(length_seconds, required_share, nominal_hours, rules)
    before = _lesson_snapshot(lesson)
    kind = LessonKind(kind)
    media = lesson.media if kind == lesson.kind else None
    lesson.title = clean_title(title)
    lesson.kind = kind
    lesson.length_seconds = length_seconds
    lesson.required_share = Decimal(required_share).quantize(HOURS_STEP)
    lesson.nominal_hours = hours
    if module is not None and module.id != lesson.module_id:
        lesson.position = 1 + max((each.position for each in module.lessons), default=-1)
        lesson.module = module
    write_version(
        session, actor, lesson, body_source=body_source, sources=sources, media=media, now=now
    )
    session.flush()
    after = _lesson_snapshot(lesson)
    if after == before:
        return False
    lesson.updated_at = now
    lesson.course.updated_at = now
    record(
        session, actor, "lesson.updated", "lesson", lesson.id, now=now, before=before, after=after
    )
    return True
