"""Read functions of banks and what files questions in them: which banks a user reaches, the
knowledge-point tree, tags and source documents."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.db import within_path
from learnapp.question_bank.draft import name_order
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    SourceDocument,
    Tag,
)

BANK_ROLES = ("bank_editor", "reviewer")


def bank_in_scope_clause(user):
    """SQL condition: the bank is platform-wide or owned inside a unit where the user holds a
    bank role (administrators reach every bank)."""
    from learnapp.orgs.models import Unit

    if user.is_admin:
        return sa.true()
    paths = [a.unit.path for a in user.roles if a.role in BANK_ROLES]
    if not paths:
        return sa.false()
    owned = sa.select(Unit.id).where(sa.or_(*(within_path(Unit.path, path) for path in paths)))
    return sa.or_(QuestionBank.unit_id.is_(None), QuestionBank.unit_id.in_(owned))


def banks_in_scope(session: Session, user) -> list[QuestionBank]:
    return list(
        session.scalars(
            sa.select(QuestionBank)
            .where(bank_in_scope_clause(user))
            .order_by(QuestionBank.is_default.desc(), QuestionBank.id)
        )
    )


def bank_if_in_scope(session: Session, user, bank_id: int) -> QuestionBank | None:
    return session.scalar(
        sa.select(QuestionBank).where(QuestionBank.id == bank_id, bank_in_scope_clause(user))
    )


def knowledge_points(session: Session, bank: QuestionBank) -> list[KnowledgePoint]:
    """The bank's tree in reading order: each node after its parent, siblings by name with
    their numbers read (第三章 before 第十一章)."""
    points = session.scalars(
        sa.select(KnowledgePoint).where(KnowledgePoint.bank_id == bank.id)
    ).all()
    return sorted(points, key=lambda point: tuple(name_order(name) for name in point.names))


def knowledge_point_counts(session: Session, bank: QuestionBank) -> dict[int, int]:
    """Per knowledge point: the questions filed under it or anywhere below it."""
    points = knowledge_points(session, bank)
    direct = dict(
        session.execute(
            sa.select(Question.knowledge_point_id, sa.func.count())
            .where(Question.bank_id == bank.id, Question.knowledge_point_id.is_not(None))
            .group_by(Question.knowledge_point_id)
        ).all()
    )
    by_id = {point.id: point for point in points}
    subtree = dict.fromkeys(by_id, 0)
    for point_id, count in direct.items():
        # Every ancestor's id is in the materialised path "/1/4/9/".
        for ancestor in by_id[point_id].path.strip("/").split("/"):
            subtree[int(ancestor)] += count
    return subtree


def tags(session: Session, bank: QuestionBank) -> list[Tag]:
    return list(session.scalars(sa.select(Tag).where(Tag.bank_id == bank.id).order_by(Tag.name)))


def sources(session: Session) -> list[SourceDocument]:
    return list(
        session.scalars(
            sa.select(SourceDocument).order_by(SourceDocument.name, SourceDocument.version)
        )
    )


def source_question_counts(session: Session, user) -> dict[int, int]:
    """Questions (not retired) in the banks `user` reaches whose current version cites each
    source document. Documents are shared by every bank; other banks' questions are not counted."""
    rows = session.execute(
        sa.select(QuestionVersion.source_id, sa.func.count())
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .join(QuestionBank, Question.bank_id == QuestionBank.id)
        .where(
            QuestionVersion.source_id.is_not(None),
            Question.status != QuestionStatus.RETIRED,
            bank_in_scope_clause(user),
        )
        .group_by(QuestionVersion.source_id)
    )
    return dict(rows.all())
