"""Rules shared by the course and lesson use cases: identifiers, titles, authorship."""

import re
import secrets
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.clock import org_timezone
from learnapp.courses.models import Course
from learnapp.courses.queries import can_author
from learnapp.errors import DomainError
from learnapp.hours.queries import rules_for
from learnapp.hours.rules import Rules
from learnapp.sanitize import strip_bidi

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
MAX_TITLE = 200
MAX_SUMMARY = 2000
MAX_SOURCES = 20
MAX_SOURCE_CHARS = 500
MAX_LENGTH_SECONDS = 24 * 3600
MAX_NOMINAL_HOURS = Decimal("8")  # a full day of training (DOMAIN.md conversion)
HOURS_STEP = Decimal("0.01")


def lesson_rules(session: Session, now: datetime) -> Rules:
    """The 学时 rule set in force today (organisation timezone): its length bands suggest a
    lesson's nominal 学时, so a new rule-set version changes the suggestion, not the code."""
    return rules_for(session, now.astimezone(org_timezone()).date())


def suggest_nominal_hours(length_seconds: int, rules: Rules) -> Decimal:
    """The rule set's length bands (default, DOMAIN.md: ≥30 min → 1 学时, 15–30 min → 0.5,
    under 15 min → 0.25); an author may set another value."""
    return rules.suggested_lesson_hours(length_seconds).quantize(HOURS_STEP)


def follows_length(
    hours: Decimal | None, old_seconds: int, new_seconds: int, rules: Rules
) -> Decimal | None:
    """The 学时 to keep when a lesson's length changes: hours left empty, or equal to what the
    old length suggested (the author took the suggestion), follow the new length (None: suggest
    again); hours the author chose differently are kept as typed."""
    if hours is None or new_seconds == old_seconds:
        return hours
    try:
        took_suggestion = Decimal(hours) == suggest_nominal_hours(old_seconds, rules)
    except (ArithmeticError, TypeError, ValueError):
        return hours  # not a number: check_lesson_numbers reports it
    return None if took_suggestion else hours


def require_author(actor, course: Course) -> None:
    """Refuse an actor who may not author the course (None is the system and may)."""
    if actor is not None and not can_author(actor, course):
        raise DomainError(None, _l("This course is outside your organisation."))


def clean_title(value: str, field: str = "title") -> str:
    """A title with runs of white space collapsed and bidi controls removed, 1–200 characters."""
    title = strip_bidi(" ".join((value or "").split()))
    if not title:
        raise DomainError(field, _l("A title is required."))
    if len(title) > MAX_TITLE:
        raise DomainError(field, _l("At most %(n)d characters.", n=MAX_TITLE))
    return title


def clean_slug(session: Session, model, value: str | None, current_id: int | None) -> str:
    """A stable ASCII identifier, unique among `model` rows; generated when none is given."""
    slug = (value or "").strip().lower()
    if not slug:
        prefix = "course" if model is Course else "lesson"
        return f"{prefix}-{secrets.token_hex(4)}"
    if not SLUG.match(slug):
        raise DomainError(
            "slug", _l("Use lower-case letters, digits and hyphens (at most 100 characters).")
        )
    clash = session.scalar(sa.select(model.id).where(model.slug == slug, model.id != current_id))
    if clash is not None:
        raise DomainError("slug", _l("This identifier is already in use."))
    return slug
