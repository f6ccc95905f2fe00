"""Read functions of the review workflow: a bank's review queue, and what waits for a reviewer."""

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from learnapp.question_bank.models import Question, QuestionBank, QuestionStatus, QuestionVersion
from learnapp.question_bank.queries.banks import bank_in_scope_clause


def review_queue(session: Session, bank: QuestionBank) -> list[Question]:
    """The bank's questions in review, oldest change first, each with its current version and
    that version's editor (the queue shows who wrote the question and who the version)."""
    return list(
        session.scalars(
            sa.select(Question)
            .where(Question.bank_id == bank.id, Question.status == QuestionStatus.IN_REVIEW)
            .options(selectinload(Question.current_version))
            .order_by(Question.updated_at, Question.id)
            .limit(200)
        )
    )


def review_counts(session: Session, user) -> list[tuple[QuestionBank, int]]:
    """Per bank in the user's reach: the questions in review that the user may approve (with
    two-person review on, not those they wrote or last edited). Banks with none are left out."""
    own = sa.or_(Question.author_id == user.id, QuestionVersion.created_by_id == user.id)
    rows = session.execute(
        sa.select(QuestionBank, sa.func.count(Question.id))
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(
            Question.status == QuestionStatus.IN_REVIEW,
            bank_in_scope_clause(user),
            sa.not_(sa.and_(QuestionBank.two_person_review, own)),
        )
        .group_by(QuestionBank.id)
        .order_by(QuestionBank.id)
    ).all()
    return [(bank, count) for bank, count in rows]
