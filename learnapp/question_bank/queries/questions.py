"""Read functions of a bank's questions: the filtered and searched list, questions by id, usage
counts, duplicates, exports and versions."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from learnapp.db import within_path
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    Tag,
    question_tag_links,
)

PAGE_SIZE = 30
MAX_SEARCH = 100
MAX_TERMS = 8
FETCH_ALL_IDS = 500


@dataclass
class QuestionFilters:
    """The list's filters; every field optional. `search` is split into words at spaces; a
    question matches when each word is a literal substring of its stem, knowledge point or a
    tag (every word must match, anywhere)."""

    type: str | None = None
    knowledge_point_id: int | None = None
    difficulty: int | None = None
    status: QuestionStatus | None = None
    tag_id: int | None = None
    source_id: int | None = None
    search: str = ""
    ids: list[int] = field(default_factory=list)


def _filtered(
    session: Session,
    bank: QuestionBank,
    filters: QuestionFilters | None,
    *,
    by_status: bool = True,
):
    filters = filters or QuestionFilters()
    query = sa.select(Question).where(Question.bank_id == bank.id)
    if filters.ids:
        query = query.where(Question.id.in_(filters.ids))
    if filters.type:
        query = query.where(Question.type == filters.type)
    if filters.status and by_status:
        query = query.where(Question.status == filters.status)
    if filters.difficulty:
        query = query.where(Question.difficulty == filters.difficulty)
    if filters.knowledge_point_id:
        node = session.get(KnowledgePoint, filters.knowledge_point_id)
        if node is None or node.bank_id != bank.id:
            return query.where(sa.false())
        subtree = sa.select(KnowledgePoint.id).where(within_path(KnowledgePoint.path, node.path))
        query = query.where(Question.knowledge_point_id.in_(subtree))
    if filters.tag_id:
        query = query.where(
            Question.id.in_(
                sa.select(question_tag_links.c.question_id).where(
                    question_tag_links.c.tag_id == filters.tag_id
                )
            )
        )
    if filters.source_id:
        query = query.where(
            Question.current_version_id.in_(
                sa.select(QuestionVersion.id).where(QuestionVersion.source_id == filters.source_id)
            )
        )
    for term in search_terms(filters.search):
        query = query.where(_matches_term(session, bank, term))
    return query


def search_terms(search: str | None) -> list[str]:
    """The words of a search: split on spaces (full-width ones too), duplicates dropped, at most
    MAX_TERMS. "遵义会议 长征" is two terms, each of which a question must match."""
    terms: list[str] = []
    for word in (search or "").strip()[:MAX_SEARCH].split():
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _matches_term(session: Session, bank: QuestionBank, term: str):
    """SQL condition: the term is in the stem, the knowledge point's name or a tag's name."""
    # Chinese has no word breaks, so a literal substring match; %, _ and \ are escaped.
    # Knowledge points and tags are small tables: their matching ids are found first.
    point_ids = session.scalars(
        sa.select(KnowledgePoint.id).where(
            KnowledgePoint.bank_id == bank.id,
            KnowledgePoint.name.contains(term, autoescape=True),
        )
    ).all()
    tag_ids = session.scalars(
        sa.select(Tag.id).where(Tag.bank_id == bank.id, Tag.name.contains(term, autoescape=True))
    ).all()
    conditions = [Question.stem.contains(term, autoescape=True)]
    if point_ids:
        conditions.append(Question.knowledge_point_id.in_(point_ids))
    if tag_ids:
        conditions.append(
            Question.id.in_(
                sa.select(question_tag_links.c.question_id).where(
                    question_tag_links.c.tag_id.in_(tag_ids)
                )
            )
        )
    return sa.or_(*conditions)


@dataclass
class QuestionPage:
    questions: list[Question]
    total: int
    page: int
    pages: int
    usage: dict[int, int]
    # Matches per status under every filter but the status one (the list's status strip).
    status_counts: dict[QuestionStatus, int]


def _narrowed(filters: QuestionFilters) -> bool:
    """Whether anything but the status narrows the list to part of the bank."""
    return bool(
        filters.ids
        or filters.type
        or filters.knowledge_point_id
        or filters.difficulty
        or filters.tag_id
        or filters.source_id
        or (filters.search or "").strip()
    )


def questions_page(
    session: Session, bank: QuestionBank, filters: QuestionFilters, page: int = 1
) -> QuestionPage:
    """One page, newest first. A list narrowed by nothing but its status is counted on the
    (status, bank_id) index without reading a row. No index serves a substring search, so
    each scan must count: a first pass takes up to FETCH_ALL_IDS matches in any order; when that
    is all of them it gives the counts and the page at once (one scan for a rare word).
    Otherwise matches are dense: the counts take one more pass and walking ids backwards fills
    the page in a few rows. The rows are then loaded by id."""
    unfiltered_status = _filtered(session, bank, filters, by_status=False)
    matching = None
    if not _narrowed(filters):
        counts = status_counts(session, bank)
    else:
        probe = session.execute(
            unfiltered_status.with_only_columns(Question.id, Question.status).limit(
                FETCH_ALL_IDS + 1
            )
        ).all()
        counts = dict.fromkeys(QuestionStatus, 0)
        if len(probe) <= FETCH_ALL_IDS:
            for _, status in probe:
                counts[status] += 1
            # Sorted here, not by ORDER BY … LIMIT: PostgreSQL's generic plan for a prepared
            # search would walk the whole primary key backwards looking for a handful of rows.
            matching = sorted(
                (qid for qid, status in probe if filters.status in (None, status)), reverse=True
            )
        else:
            # Filtered aggregates rather than GROUP BY: one pass, no sort of the matching rows.
            row = session.execute(
                unfiltered_status.with_only_columns(
                    *(
                        sa.func.count().filter(Question.status == status)
                        for status in QuestionStatus
                    )
                )
            ).one()
            counts = dict(zip(QuestionStatus, row, strict=True))
    total = counts[filters.status] if filters.status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * PAGE_SIZE
    if matching is not None:
        ids = matching[offset : offset + PAGE_SIZE]
    else:
        # The same conditions plus the status: the knowledge-point and tag names matching the
        # search are not looked up a second time.
        listed = (
            unfiltered_status.where(Question.status == filters.status)
            if filters.status
            else unfiltered_status
        )
        ids = session.scalars(
            listed.with_only_columns(Question.id)
            .order_by(Question.id.desc())
            .limit(PAGE_SIZE)
            .offset(offset)
        ).all()
    questions = (
        list(
            session.scalars(
                sa.select(Question).where(Question.id.in_(ids)).order_by(Question.id.desc())
            )
        )
        if ids
        else []
    )
    return QuestionPage(questions, total, page, pages, usage_counts(session, list(ids)), counts)


def questions_by_ids(session: Session, bank: QuestionBank, ids: list[int]) -> list[Question]:
    """The bank's questions among `ids` (others are silently out of reach)."""
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(Question)
            .where(Question.bank_id == bank.id, Question.id.in_(ids))
            .order_by(Question.id)
        )
    )


def usage_counts(session: Session, question_ids: list[int]) -> dict[int, int]:
    """How many times each question has been used (summed over its versions; see mark_used)."""
    counts = dict.fromkeys(question_ids, 0)
    if question_ids:
        rows = session.execute(
            sa.select(QuestionVersion.question_id, sa.func.sum(QuestionVersion.use_count))
            .where(QuestionVersion.question_id.in_(question_ids))
            .group_by(QuestionVersion.question_id)
        )
        counts.update({qid: int(total or 0) for qid, total in rows})
    return counts


def stem_index(session: Session, bank: QuestionBank) -> dict[str, int]:
    """Normalised stem (types.normalise_stem) → question id, for duplicate detection."""
    rows = session.execute(
        sa.select(Question.stem_key, Question.id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.id.desc())
    )
    return {key: qid for key, qid in rows if key}


def export_versions(
    session: Session, bank: QuestionBank, filters: QuestionFilters | None = None
) -> list[QuestionVersion]:
    """The current version of every question matching `filters`, in question order, with the
    question, its knowledge point and tags loaded (to_draft needs nothing more)."""
    ids = _filtered(session, bank, filters).with_only_columns(Question.current_version_id)
    return list(
        session.scalars(
            sa.select(QuestionVersion)
            .where(QuestionVersion.id.in_(ids))
            .options(
                selectinload(QuestionVersion.question).selectinload(Question.tags),
            )
            .order_by(QuestionVersion.question_id)
        )
    )


def versions_of(session: Session, question: Question) -> list[QuestionVersion]:
    return list(
        session.scalars(
            sa.select(QuestionVersion)
            .where(QuestionVersion.question_id == question.id)
            .order_by(QuestionVersion.number.desc())
        )
    )


def status_counts(session: Session, bank: QuestionBank) -> dict[QuestionStatus, int]:
    counts = dict.fromkeys(QuestionStatus, 0)
    rows = session.execute(
        sa.select(Question.status, sa.func.count())
        .where(Question.bank_id == bank.id)
        .group_by(Question.status)
    )
    counts.update(dict(rows.all()))
    return counts
