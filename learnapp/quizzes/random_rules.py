"""What a random-composition rule may draw: the active questions matching it (`candidate_ids`,
read when a paper is drawn and when a rule is added), and whether the bank can fill a quiz's
rules together (`rule_shortfalls`, before publishing)."""

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.question_bank.models import KnowledgePoint, Question, QuestionStatus
from learnapp.quizzes.models import QuizRule


def candidate_ids(session: Session, rule: QuizRule) -> list[tuple[int, int]]:
    """(question id, current version id) of the active questions a rule may draw, by id."""
    query = sa.select(Question.id, Question.current_version_id).where(
        Question.bank_id == rule.bank_id,
        Question.status == QuestionStatus.ACTIVE,
        Question.current_version_id.is_not(None),
    )
    if rule.question_type:
        query = query.where(Question.type == rule.question_type)
    if rule.difficulty:
        query = query.where(Question.difficulty == rule.difficulty)
    if rule.knowledge_point_id:
        point = session.get(KnowledgePoint, rule.knowledge_point_id)
        query = query.join(KnowledgePoint, Question.knowledge_point_id == KnowledgePoint.id).where(
            KnowledgePoint.path.startswith(point.path, autoescape=True)
        )
    # Thousands of rows for a large bank, on every start of a random paper: read as plain
    # tuples, past the ORM (after flushing, as the ORM would).
    session.flush()
    return [tuple(row) for row in session.connection().execute(query.order_by(Question.id))]


def rule_shortfalls(session: Session, rules: list[QuizRule]) -> list[str]:
    """Rules the bank may fail to fill. A paper is drawn rule by rule and never repeats a
    question, so a rule sharing questions with earlier ones may find up to their counts of its
    own questions taken (each earlier rule takes at most its count of the shared ones). A rule
    with too few questions on its own says so; one that has enough alone but not together with
    the earlier rules drawing from the same questions names them all, in one message."""
    problems = []
    earlier: list[tuple[QuizRule, set[int]]] = []
    for rule in rules:
        pool = {question_id for question_id, _ in candidate_ids(session, rule)}
        sharing = [(other, len(pool & theirs)) for other, theirs in earlier if pool & theirs]
        need = rule.count + sum(min(other.count, shared) for other, shared in sharing)
        if len(pool) < rule.count:
            problems.append(
                str(_l("Rule %(n)d needs more questions than the bank has.") % {"n": rule.position})
            )
        elif len(pool) < need:
            numbers = [str(other.position) for other, _ in sharing] + [str(rule.position)]
            problems.append(
                str(
                    _l(
                        "Rules %(rules)s draw from the same questions: together they may need"
                        " %(need)d of them, and only %(have)d match rule %(n)d."
                    )
                    % {
                        "rules": format_list(numbers, locale=get_locale()),
                        "need": need,
                        "have": len(pool),
                        "n": rule.position,
                    }
                )
            )
        earlier.append((rule, pool))
    return problems
