"""Banks, the knowledge-point tree, tags and the source documents questions cite."""

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.db import within_path
from learnapp.errors import DomainError
from learnapp.question_bank.draft import (
    MAX_KNOWLEDGE_NAME,
    MAX_PATH_DEPTH,
    MAX_TAG,
    MAX_TAGS,
    split_path,
)
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    SourceDocument,
    Tag,
)
from learnapp.sanitize import strip_bidi

MAX_POINTS = Decimal("100")
DEFAULT_BANK_NAME = "党员理论学习题库"
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


def path_names(names: Sequence[str]) -> list[str]:
    """A knowledge-point path's cleaned names; DomainError when it is too deep."""
    names = [strip_bidi(n).strip()[:MAX_KNOWLEDGE_NAME] for n in names if n and n.strip()]
    if len(names) > MAX_PATH_DEPTH:
        raise DomainError(
            "knowledge_point",
            _l("A knowledge point path has at most %(n)d levels.", n=MAX_PATH_DEPTH),
        )
    return names


def tag_names(names: Iterable[str]) -> list[str]:
    """Cleaned, distinct tag names; DomainError when there are too many."""
    cleaned = []
    for name in names:
        name = strip_bidi(name or "").strip()[:MAX_TAG]
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise DomainError("tags", _l("At most %(n)d tags.", n=MAX_TAGS))
    return cleaned


def ensure_knowledge_point(
    session: Session, bank: QuestionBank, names: Sequence[str]
) -> KnowledgePoint | None:
    """The node at `names` under the bank's tree, creating missing nodes; None for no path."""
    names = path_names(names)
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


def ensure_tags(session: Session, bank: QuestionBank, names: Iterable[str]) -> list[Tag]:
    """The bank's tags of these names, created on first use."""
    cache = session.info.setdefault("question_bank.tags", {})
    tags = []
    for name in tag_names(names):
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


# Knowledge points: renaming and removing a node of the tree


def _forget_cached_points(session: Session) -> None:
    session.info.pop("question_bank.kp", None)


def rename_knowledge_point(
    session: Session, actor, point: KnowledgePoint, name: str, now: datetime
) -> None:
    """Give a node a new name; its descendants' full names follow. Names are unique among
    siblings: to merge two nodes, move the questions with the list's bulk action instead."""
    new_name = strip_bidi(name or "").strip()[:MAX_KNOWLEDGE_NAME]
    if not new_name or split_path(new_name) != [new_name]:
        raise DomainError("name", _l("Enter a name without / › or >."))
    if new_name == point.name:
        return
    sibling = session.scalar(
        sa.select(KnowledgePoint.id).where(
            KnowledgePoint.bank_id == point.bank_id,
            KnowledgePoint.parent_id == point.parent_id
            if point.parent_id
            else KnowledgePoint.parent_id.is_(None),
            KnowledgePoint.name == new_name,
        )
    )
    if sibling is not None:
        raise DomainError(
            "name",
            _l(
                "“%(name)s” already exists here. To merge, tick its questions in the list and "
                "move them.",
                name=new_name,
            ),
        )
    before = point.full_name
    depth = len(point.names)
    subtree = session.scalars(
        sa.select(KnowledgePoint).where(within_path(KnowledgePoint.path, point.path))
    ).all()
    point.name = new_name
    for node in subtree:
        names = node.names
        names[depth - 1] = new_name
        node.full_name = " › ".join(names)
    _forget_cached_points(session)
    session.flush()
    record(
        session,
        actor,
        "knowledge_point.renamed",
        "knowledge_point",
        point.id,
        now=now,
        before={"full_name": before},
        after={"full_name": point.full_name},
    )


def delete_knowledge_point(session: Session, actor, point: KnowledgePoint, now: datetime) -> None:
    """Remove a node no question, child node or quiz refers to (e.g. a misspelt import path
    whose questions were moved)."""
    if session.scalar(sa.select(KnowledgePoint.id).where(KnowledgePoint.parent_id == point.id)):
        raise DomainError(None, _l("Remove or rename the knowledge points under it first."))
    if session.scalar(sa.select(Question.id).where(Question.knowledge_point_id == point.id)):
        raise DomainError(
            None, _l("Questions still belong to this knowledge point: move them first.")
        )
    full_name, point_id = point.full_name, point.id
    try:
        with session.begin_nested():
            session.delete(point)
    except sa.exc.IntegrityError:
        raise DomainError(
            None, _l("A quiz draws questions from this knowledge point; it cannot be removed.")
        ) from None
    _forget_cached_points(session)
    record(
        session,
        actor,
        "knowledge_point.deleted",
        "knowledge_point",
        point_id,
        now=now,
        before={"full_name": full_name},
    )
