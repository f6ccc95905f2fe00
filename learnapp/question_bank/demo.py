"""Demo content: the organisation's question bank, an editor and a reviewer showing two-person
review, and a few questions in every status (the starter bank is imported separately)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from learnapp.accounts.services.users import create_user
from learnapp.orgs.models import Role
from learnapp.orgs.roles import grant_role
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import (
    add_question,
    approve_question,
    default_bank,
    submit_for_review,
)

CHARTER = "《中国共产党章程》"
CHARTER_VERSION = "2022-10-22"
REGULATION = "《中国共产党党员教育管理工作条例》"
REGULATION_VERSION = "2019-05-06"

# (draft, final status). Worded for the demo so they do not collide with the starter bank.
QUESTIONS = [
    (
        QuestionDraft(
            type="single",
            stem="演示题：根据党章，党员必须履行的义务共有几项？",
            spec={"options": ["六项", "七项", "八项", "十项"], "answer": 2},
            difficulty=2,
            knowledge_point=["党章", "第一章 党员"],
            source_document=f"{CHARTER}第三条",
            source_version=CHARTER_VERSION,
            explanation="党章第三条规定了党员必须履行的八项义务。",
            tags=["演示", "党员义务"],
        ),
        QuestionStatus.ACTIVE,
    ),
    (
        QuestionDraft(
            type="judge",
            stem="演示题：预备党员在预备期内享有表决权。",
            spec={"answer": False},
            difficulty=1,
            knowledge_point=["党章", "第一章 党员"],
            source_document=f"{CHARTER}第四条",
            source_version=CHARTER_VERSION,
            explanation="预备党员的权利，除了没有表决权、选举权和被选举权以外，也同正式党员一样。",
            tags=["演示"],
        ),
        QuestionStatus.ACTIVE,
    ),
    (
        QuestionDraft(
            type="multiple",
            stem="演示题：“三会一课”中的“三会”包括哪些？",
            spec={
                "options": ["支部党员大会", "支部委员会", "党小组会", "民主生活会"],
                "answers": [0, 1, 2],
            },
            difficulty=2,
            knowledge_point=["组织生活", "三会一课"],
            source_document=f"{REGULATION}第十五条",
            source_version=REGULATION_VERSION,
            tags=["演示", "组织生活"],
        ),
        QuestionStatus.IN_REVIEW,
    ),
    (
        QuestionDraft(
            type="fill",
            stem="演示题：党员每年集中学习培训时间一般不少于____学时。",
            spec={"blanks": [["32", "三十二"]], "any_order": False},
            difficulty=3,
            knowledge_point=["党员教育管理", "学习培训"],
            source_document=f"{REGULATION}第二十条",
            source_version=REGULATION_VERSION,
            tags=["演示", "学时"],
        ),
        QuestionStatus.IN_REVIEW,
    ),
    (
        QuestionDraft(
            type="short",
            stem="演示题：简述党员教育管理工作应当坚持的原则（列举三条即可）。",
            spec={
                "reference": "坚持以党的政治建设为统领；坚持从严从实；坚持分类指导；坚持守正创新。",
                "key_points": ["政治建设统领", "从严从实", "分类指导"],
            },
            points=Decimal("5"),
            difficulty=4,
            knowledge_point=["党员教育管理", "总则"],
            source_document=f"{REGULATION}第三条",
            source_version=REGULATION_VERSION,
            tags=["演示"],
        ),
        QuestionStatus.DRAFT,
    ),
]


def seed(session: Session, org, now: datetime) -> str:
    bank = default_bank(session, now)
    editor = create_user(
        session,
        None,
        username="demo-editor",
        display_name="题库编辑 赵敏",
        password="learnapp-demo",  # noqa: S106  (published in the README, demo only)
        now=org.joined,
    )
    grant_role(session, None, editor, org.root, Role.BANK_EDITOR, now)
    reviewer = create_user(
        session,
        None,
        username="demo-reviewer",
        display_name="题库审核 陈立",
        password="learnapp-demo",  # noqa: S106
        now=org.joined,
    )
    grant_role(session, None, reviewer, org.root, Role.REVIEWER, now)
    for draft, status in QUESTIONS:
        question = add_question(session, editor, bank, draft, now)
        if status != QuestionStatus.DRAFT:
            submit_for_review(session, editor, question, now)
        if status == QuestionStatus.ACTIVE:
            approve_question(session, reviewer, question, now)
    return (
        f"question bank: {bank.name} with {len(QUESTIONS)} demo questions; "
        "demo-editor writes, demo-reviewer approves"
    )
