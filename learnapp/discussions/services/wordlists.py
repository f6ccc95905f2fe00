"""Maintaining the word lists and the allowlist; every change bumps the list version, which is
how every worker learns to rebuild its matcher without a restart. All audited."""

import uuid

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.discussions.models import (
    AllowedTerm,
    SensitiveTerm,
    WordAction,
    WordCategory,
    WordListVersion,
)
from learnapp.discussions.moderation.normalize import normalise_term
from learnapp.discussions.services.text import one_line
from learnapp.errors import DomainError

TERM_CHARS = 64


def _require_admin(actor) -> None:
    if actor is not None and not actor.is_admin:
        raise DomainError(None, _l("Only an administrator maintains the word lists."))


def bump_version(session: Session) -> None:
    stamp = uuid.uuid4().hex
    moved = session.execute(
        sa.update(WordListVersion)
        .where(WordListVersion.id == 1)
        .values(version=WordListVersion.version + 1, stamp=stamp)
    ).rowcount
    if not moved:
        session.add(WordListVersion(id=1, version=1, stamp=stamp))
    session.flush()


def _terms(text: str) -> list[str]:
    terms = []
    for line in (text or "").splitlines():
        term = one_line(line, TERM_CHARS + 1)
        if not term:
            continue
        if len(term) > TERM_CHARS:
            raise DomainError("terms", _l("Terms are at most %(n)d characters.", n=TERM_CHARS))
        if not normalise_term(term):
            raise DomainError("terms", _l("“%(term)s” has no letters to match.", term=term))
        if term not in terms:
            terms.append(term)
    if not terms:
        raise DomainError("terms", _l("Enter at least one term, one per line."))
    return terms


def create_category(session: Session, actor, name: str, action: WordAction, now) -> WordCategory:
    _require_admin(actor)
    name = one_line(name, 64)
    if not name:
        raise DomainError("name", _l("A name is required."))
    if session.scalar(sa.select(WordCategory.id).where(WordCategory.name == name)):
        raise DomainError("name", _l("This category exists already."))
    category = WordCategory(name=name, action=action)
    session.add(category)
    session.flush()
    bump_version(session)
    record(
        session,
        actor,
        "words.category_created",
        "word_category",
        category.id,
        now=now,
        after={"name": name, "action": action.value},
    )
    return category


def set_category_action(
    session: Session, actor, category: WordCategory, action: WordAction, now
) -> None:
    _require_admin(actor)
    before = category.action.value
    category.action = action
    session.flush()
    bump_version(session)
    record(
        session,
        actor,
        "words.action_changed",
        "word_category",
        category.id,
        now=now,
        before={"action": before},
        after={"action": action.value},
    )


def add_terms(session: Session, actor, category: WordCategory, text: str, now) -> int:
    """Add terms (one per line) to a category; ones it already has are skipped."""
    _require_admin(actor)
    terms = _terms(text)
    existing = set(
        session.scalars(
            sa.select(SensitiveTerm.term).where(
                SensitiveTerm.category_id == category.id, SensitiveTerm.term.in_(terms)
            )
        )
    )
    new = [term for term in terms if term not in existing]
    for term in new:
        session.add(SensitiveTerm(category_id=category.id, term=term, created_at=now))
    session.flush()
    bump_version(session)
    record(
        session,
        actor,
        "words.terms_added",
        "word_category",
        category.id,
        now=now,
        after={"terms": new},
    )
    return len(new)


def remove_term(session: Session, actor, term: SensitiveTerm, now) -> None:
    _require_admin(actor)
    snapshot = {"term": term.term, "category_id": term.category_id}
    session.delete(term)
    session.flush()
    bump_version(session)
    record(
        session,
        actor,
        "words.term_removed",
        "word_category",
        snapshot["category_id"],
        now=now,
        before=snapshot,
    )


def add_allowed(session: Session, actor, text: str, now) -> int:
    _require_admin(actor)
    terms = _terms(text)
    existing = set(session.scalars(sa.select(AllowedTerm.term).where(AllowedTerm.term.in_(terms))))
    new = [term for term in terms if term not in existing]
    for term in new:
        session.add(AllowedTerm(term=term, created_at=now))
    session.flush()
    bump_version(session)
    record(session, actor, "words.allowed_added", "allowlist", "-", now=now, after={"terms": new})
    return len(new)


def remove_allowed(session: Session, actor, term: AllowedTerm, now) -> None:
    _require_admin(actor)
    snapshot = {"term": term.term}
    session.delete(term)
    session.flush()
    bump_version(session)
    record(session, actor, "words.allowed_removed", "allowlist", term.id, now=now, before=snapshot)
