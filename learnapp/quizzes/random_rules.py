"""What a random-composition rule may draw: the questions in use matching it (`candidate_ids`,
read when a paper is drawn and when a rule is added), and whether the bank can fill a quiz's
rules together (`rule_shortfalls`, before publishing)."""

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionStatus,
    QuestionVersion,
)
from learnapp.quizzes.models import QuizRule


def _matching(session: Session, rule: QuizRule, query, difficulty):
    """`query` narrowed to the rule's bank, type and knowledge-point subtree, and to its
    difficulty as read from the column `difficulty`."""
    query = query.where(Question.bank_id == rule.bank_id)
    if rule.question_type:
        query = query.where(Question.type == rule.question_type)
    if rule.difficulty:
        query = query.where(difficulty == rule.difficulty)
    if rule.knowledge_point_id:
        point = session.get(KnowledgePoint, rule.knowledge_point_id)
        query = query.join(KnowledgePoint, Question.knowledge_point_id == KnowledgePoint.id).where(
            KnowledgePoint.path.startswith(point.path, autoescape=True)
        )
    return query


def candidate_ids(session: Session, rule: QuizRule) -> list[tuple[int, int]]:
    """(question id, id of the version in use) of the questions a rule may draw, by id
    (`Question.version_in_use_id`): the active questions with their current version, and the
    questions whose edit awaits review with the version a reviewer approved, matched on that
    version's difficulty (the edit may change it). One statement whatever the rules."""
    active = sa.select(Question.id.label("id"), Question.current_version_id).where(
        Question.status == QuestionStatus.ACTIVE,
        Question.current_version_id.is_not(None),
    )
    edited = (
        sa.select(Question.id, Question.reviewed_version_id)
        .join(QuestionVersion, QuestionVersion.id == Question.reviewed_version_id)
        .where(Question.is_edit_in_review)
    )
    query = sa.union_all(
        _matching(session, rule, active, Question.difficulty),
        _matching(session, rule, edited, QuestionVersion.difficulty),
    ).order_by(sa.literal_column("id"))
    # Thousands of rows for a large bank, on every start of a random paper: read as plain
    # tuples, past the ORM (after flushing, as the ORM would).
    session.flush()
    return [tuple(row) for row in session.connection().execute(query)]


def _in_review(session: Session, rule: QuizRule, pool: set[int]) -> int:
    """How many questions matching the rule wait for a reviewer with no approved version to
    draw meanwhile (new ones, ones sent back and resubmitted, ones whose source was superseded):
    they join the pool once approved."""
    waiting = session.scalars(
        _matching(
            session,
            rule,
            sa.select(Question.id).where(Question.status == QuestionStatus.IN_REVIEW),
            Question.difficulty,
        )
    )
    return len(set(waiting) - pool)


def rule_shortfalls(session: Session, rules: list[QuizRule]) -> list[str]:
    """Rules the bank may fail to fill. A paper is drawn rule by rule and never repeats a
    question, so a rule sharing questions with earlier ones may find up to their counts of its
    own questions taken (each earlier rule takes at most its count of the shared ones). A rule
    with too few questions on its own says so, and how many more wait for a reviewer, if any;
    one that has enough alone but not together with the earlier rules drawing from the same
    questions names them all, in one message."""
    problems = []
    earlier: list[tuple[QuizRule, set[int]]] = []
    for rule in rules:
        pool = {question_id for question_id, _ in candidate_ids(session, rule)}
        sharing = [(other, len(pool & theirs)) for other, theirs in earlier if pool & theirs]
        need = rule.count + sum(min(other.count, shared) for other, shared in sharing)
        waiting = _in_review(session, rule, pool) if len(pool) < rule.count else 0
        if waiting:
            problems.append(
                ngettext(
                    "Rule %(n)d needs more questions than the bank has in use: %(num)d more"
                    " that matches it is in review and can be drawn once approved.",
                    "Rule %(n)d needs more questions than the bank has in use: %(num)d more"
                    " that match it are in review and can be drawn once approved.",
                    waiting,
                    n=rule.position,
                )
            )
        elif len(pool) < rule.count:
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
