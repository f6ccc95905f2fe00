"""Banks, the knowledge-point tree, tags and the source documents questions cite."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.question_bank.models import (
    KnowledgePoint,
    QuestionBank,
    SourceDocument,
    Tag,
)
from learnapp.sanitize import strip_bidi

MAX_POINTS = Decimal("100")
MAX_TAGS = 10
MAX_PATH_DEPTH = 6
DEFAULT_BANK_NAME = "党员理论学习题库"
PATH_SEPARATORS = re.compile(r"\s*(?:›|>|＞|/)\s*")
DOCUMENT_TITLE = re.compile(r"《[^》]{1,150}》")


def is_bank_editor(user) -> bool:
    return user.is_admin or user.has_role("bank_editor")


def is_bank_reviewer(user) -> bool:
    return user.is_admin or user.has_role("reviewer")


# Banks


def create_bank(
    session: Session,
    actor,
    *,
    name: str,
    unit,
    two_person_review: bool,
    now: datetime,
    is_default: bool = False,
) -> QuestionBank:
    """A new bank owned by `unit` (None: platform-wide). Only administrators add banks."""
    if actor is not None and not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can add a question bank."))
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError("name", _l("A name is required."))
    bank = QuestionBank(
        name=name,
        unit_id=unit.id if unit else None,
        two_person_review=two_person_review,
        is_default=is_default,
        created_at=now,
    )
    session.add(bank)
    session.flush()
    record(
        session,
        actor,
        "bank.created",
        "question_bank",
        bank.id,
        now=now,
        after={"name": name, "unit_id": bank.unit_id, "two_person_review": two_person_review},
    )
    return bank


def set_two_person_review(
    session: Session, actor, bank: QuestionBank, enabled: bool, now: datetime
) -> None:
    """Only administrators switch two-person review (reviewer ≠ author) on or off."""
    if not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can change review rules."))
    before = bank.two_person_review
    bank.two_person_review = enabled
    session.flush()
    record(
        session,
        actor,
        "bank.review_rule",
        "question_bank",
        bank.id,
        now=now,
        before={"two_person_review": before},
        after={"two_person_review": enabled},
    )


def default_bank(session: Session, now: datetime | None = None) -> QuestionBank:
    """The bank starter content goes into; created on first use, owned by the first root unit
    (platform-wide when there is no unit yet)."""
    bank = session.scalar(
        sa.select(QuestionBank).where(QuestionBank.is_default.is_(True)).order_by(QuestionBank.id)
    )
    if bank is not None:
        return bank
    from datetime import UTC

    from learnapp.orgs.models import Unit

    root = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return create_bank(
        session,
        None,
        name=DEFAULT_BANK_NAME,
        unit=root,
        two_person_review=True,
        now=now or datetime.now(UTC),
        is_default=True,
    )


# Knowledge points, tags, sources


def split_path(text: str) -> list[str]:
    """ "党章 › 第一章 党员" (or > / separators) → ["党章", "第一章 党员"]."""
    return [part for part in PATH_SEPARATORS.split((text or "").strip()) if part]


def _path_names(names: Sequence[str]) -> list[str]:
    names = [strip_bidi(n).strip()[:100] for n in names if n and n.strip()]
    if len(names) > MAX_PATH_DEPTH:
        raise DomainError(
            "knowledge_point",
            _l("A knowledge point path has at most %(n)d levels.", n=MAX_PATH_DEPTH),
        )
    return names


def _tag_names(names: Iterable[str]) -> list[str]:
    cleaned = []
    for name in names:
        name = strip_bidi(name or "").strip()[:50]
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise DomainError("tags", _l("At most %(n)d tags.", n=MAX_TAGS))
    return cleaned


def ensure_knowledge_point(
    session: Session, bank: QuestionBank, names: Sequence[str]
) -> KnowledgePoint | None:
    """The node at `names` under the bank's tree, creating missing nodes; None for no path."""
    names = _path_names(names)
    if not names:
        return None
    cache = session.info.setdefault("question_bank.kp", {})
    key = (bank.id, tuple(names))
    if key in cache:
        return cache[key]
    parent = None
    for depth in range(1, len(names) + 1):
        sub_key = (bank.id, tuple(names[:depth]))
        node = cache.get(sub_key)
        if node is None:
            node = session.scalar(
                sa.select(KnowledgePoint).where(
                    KnowledgePoint.bank_id == bank.id,
                    KnowledgePoint.parent_id == parent.id
                    if parent
                    else KnowledgePoint.parent_id.is_(None),
                    KnowledgePoint.name == names[depth - 1],
                )
            )
        if node is None:
            node = KnowledgePoint(
                bank_id=bank.id,
                parent_id=parent.id if parent else None,
                name=names[depth - 1],
                path="",
                full_name=" › ".join(names[:depth]),
            )
            session.add(node)
            session.flush()
            node.path = f"{parent.path if parent else '/'}{node.id}/"
            session.flush()
        cache[sub_key] = node
        parent = node
    return parent


def _ensure_tags(session: Session, bank: QuestionBank, names: Iterable[str]) -> list[Tag]:
    cache = session.info.setdefault("question_bank.tags", {})
    tags = []
    for name in _tag_names(names):
        tag = cache.get((bank.id, name)) or session.scalar(
            sa.select(Tag).where(Tag.bank_id == bank.id, Tag.name == name)
        )
        if tag is None:
            tag = Tag(bank_id=bank.id, name=name)
            session.add(tag)
            session.flush()
        cache[(bank.id, name)] = tag
        tags.append(tag)
    return tags


def document_name(source: str) -> str:
    """The document a 出处 cites: its first 《title》, else the whole text."""
    match = DOCUMENT_TITLE.search(source or "")
    return match.group(0) if match else (source or "").strip()


def ensure_source(session: Session, source: str, version: str, now: datetime):
    """The SourceDocument for a 出处 and 依据版本, created on first use; None without a source."""
    name = document_name(source)[:200]
    if not name:
        return None
    version = (version or "").strip()[:64]
    cache = session.info.setdefault("question_bank.sources", {})
    document = cache.get((name, version)) or session.scalar(
        sa.select(SourceDocument).where(
            SourceDocument.name == name, SourceDocument.version == version
        )
    )
    if document is None:
        document = SourceDocument(name=name, version=version, created_at=now)
        session.add(document)
        session.flush()
    cache[(name, version)] = document
    return document
