"""Quiz test helpers: a bank with one question of each type, quizzes over it, and the SQL
statements a block of code sends."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes.authoring import QuizSettings, create_quiz, publish_quiz
from learnapp.quizzes.composition import add_questions
from learnapp.quizzes.models import Composition, QuizKind, ReleasePolicy
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank

SINGLE_KEY = "党的全国代表大会和它所产生的中央委员会"
MULTIPLE_KEYS = ("支部党员大会", "支部委员会")
FILL_KEY = "八"
SHORT_REFERENCE = "坚持理论联系实际，学以致用"
EXPLANATION = "党章第十条的解析文字"

DRAFTS = [
    QuestionDraft(
        type="single",
        stem="党的最高领导机关是什么？",
        spec={"options": [SINGLE_KEY, "中央政治局", "中央书记处", "中央军委"], "answer": 0},
        points=Decimal("2"),
        knowledge_point=["党章", "第三章"],
        explanation=EXPLANATION,
        source_document="《中国共产党章程》第十条",
        source_version="2022-10-22",
    ),
    QuestionDraft(
        type="multiple",
        stem="“三会”包括哪些？",
        spec={
            "options": [MULTIPLE_KEYS[0], MULTIPLE_KEYS[1], "党小组会", "党员代表大会"],
            "answers": [0, 1, 2],
        },
        points=Decimal("2"),
        knowledge_point=["党章", "第一章"],
    ),
    QuestionDraft(
        type="judge",
        stem="预备党员享有表决权。",
        spec={"answer": False},
        points=Decimal("1"),
        knowledge_point=["党章", "第一章"],
    ),
    QuestionDraft(
        type="fill",
        stem="党员必须履行___项义务。",
        spec={"blanks": [[FILL_KEY, "8"]], "any_order": False},
        points=Decimal("1"),
        knowledge_point=["党章", "第一章"],
    ),
    QuestionDraft(
        type="short",
        stem="谈谈你对理论学习的认识。",
        spec={"reference": SHORT_REFERENCE, "key_points": ["理论联系实际"]},
        points=Decimal("4"),
        knowledge_point=["党章", "第一章"],
    ),
]


@dataclass
class Paper:
    bank: object
    questions: list


def make_paper(session, types=("single", "multiple", "judge", "fill", "short")) -> Paper:
    bank = make_bank(session, two_person_review=False)
    questions = [
        add_question(session, None, bank, draft, FIXED_NOW, QuestionStatus.ACTIVE)
        for draft in DRAFTS
        if draft.type in types
    ]
    return Paper(bank, questions)


def make_quiz(session, owner_unit, paper: Paper, publish=True, **overrides):
    fields = {
        "title": "党章知识测试",
        "kind": QuizKind.EXAM,
        "owner_unit": owner_unit,
        "composition": Composition.FIXED,
        "opens_at": FIXED_NOW - timedelta(days=1),
        "closes_at": FIXED_NOW + timedelta(days=7),
        "duration_seconds": 1800,
        "release": ReleasePolicy.IMMEDIATELY,
        "attempts_allowed": 2,
    }
    fields.update(overrides)
    quiz = create_quiz(session, None, QuizSettings(**fields), FIXED_NOW)
    if fields["composition"] == Composition.FIXED:
        add_questions(session, None, quiz, [q.id for q in paper.questions], FIXED_NOW)
    if publish:
        publish_quiz(session, None, quiz, FIXED_NOW)
    session.flush()
    return quiz


@contextmanager
def sent_statements(session) -> Iterator[list[str]]:
    """The SQL statements the session's engine sends while the block runs, in order."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def settings_of(quiz, **changes) -> QuizSettings:
    """The quiz's settings as its edit page holds them, with `changes`: what an organiser who
    changes one thing saves."""
    fields = {
        "title": quiz.title,
        "kind": quiz.kind,
        "owner_unit": quiz.owner_unit,
        "composition": quiz.composition,
        "opens_at": quiz.opens_at,
        "closes_at": quiz.closes_at,
        "duration_seconds": quiz.duration_seconds,
        "grace_seconds": quiz.grace_seconds,
        "attempts_allowed": quiz.attempts_allowed,
        "release": quiz.release,
    }
    fields.update(changes)
    return QuizSettings(**fields)
