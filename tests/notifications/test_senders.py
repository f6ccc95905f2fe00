"""Each place that notifies stores a message key and its parameters, and the notification reads
in whichever language the reader uses: claims, reminders and digests, assessments, questions.

(Marked exams: tests/quizzes/test_marked_notice.py; discussions: test_senders_discussions.py.)
"""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from learnapp.assessments import grading
from learnapp.assessments.jobs import run_schedule
from learnapp.assessments.models import Grade, Step
from learnapp.completion import reminders
from learnapp.completion.queries import Frame
from learnapp.hours.models import HoursCategory
from learnapp.notifications.models import Notification
from learnapp.notifications.services import set_reminder_address
from learnapp.orglife.claims import approve_claim, reject_claim, submit_claim
from learnapp.orgs.models import Role, UnitKind
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services.workflow import reject_question
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.notifications.helpers import notices_of, rendered
from tests.orglife.factories import PDF
from tests.question_bank.factories import make_bank, make_question
from tests.world import build_world

pytestmark = pytest.mark.usefixtures("ctx")


def _only(session, user, message: str) -> Notification:
    (notice,) = [n for n in notices_of(session, user) if n.message == message]
    return notice


def test_a_claim_decision_is_stored_as_its_message_and_reads_in_either_language(session):
    world = build_world(session)
    claims = [
        submit_claim(
            session,
            world.member_a,
            category=HoursCategory.EXTERNAL,
            hours="2.5",
            studied_on=date(2026, 3, day),
            description="区委党校专题培训",
            filename="证书.pdf",
            data=PDF,
            now=FIXED_NOW,
        )
        for day in (1, 2)
    ]
    approve_claim(session, world.secretary_a, claims[0], FIXED_NOW)
    reject_claim(session, world.secretary_a, claims[1], "证明不清晰", FIXED_NOW)
    approved = _only(session, world.member_a, "claim_approved")
    rejected = _only(session, world.member_a, "claim_rejected")
    assert approved.kind == rejected.kind == "claim_decided"
    assert approved.title == "" and approved.body == ""  # the text is rendered, not stored
    assert rejected.params == {"hours": "2.50", "claim": claims[1].id, "reason": "证明不清晰"}
    assert rendered(approved, "zh_Hans").title == "您申报的 2.50 学时已审核通过"
    assert rendered(approved, "en").title == "Your claim of 2.50 study hours was approved"
    assert rendered(approved, "en").body == ""
    assert rendered(rejected, "zh_Hans").title == "您申报的 2.50 学时未通过审核"
    assert rendered(rejected, "en").title == "Your claim of 2.50 study hours was not approved"
    assert rendered(rejected, "en").body == rendered(rejected, "zh_Hans").body == "证明不清晰"


def test_the_pace_reminder_and_the_digest_read_in_the_readers_language(session):
    world = build_world(session)
    reminders.weekly_reminders(session, FIXED_NOW)
    pace = _only(session, world.member_a, "pace_reminder")
    assert (pace.kind, pace.params) == ("pace_reminder", {})
    assert rendered(pace, "zh_Hans").title == "您本年度的学时进度滞后"
    assert rendered(pace, "en").title == "You are behind this year's study-hour pace"
    assert rendered(pace, "en").body.startswith("Your study hours so far")
    digest = _only(session, world.secretary_a, "secretary_digest")
    assert digest.kind == "secretary_digest"
    assert digest.params["claims"] == 0
    (unit,) = digest.params["units"]
    assert unit["unit"] == "甲支部" and unit["behind"] > 0
    lines = 1 + (unit["overdue"] > 0) + (unit["due"] > 0)
    assert rendered(digest, "zh_Hans").title == f"每周提要：{lines} 项事项待跟进"
    assert rendered(digest, "en").title == f"Weekly digest: {lines} things to follow up"
    assert f"甲支部：{unit['behind']} 名成员学习进度滞后" in rendered(digest, "zh_Hans").body
    assert f"甲支部: {unit['behind']} members behind pace" in rendered(digest, "en").body


def test_a_digest_with_nothing_to_follow_up_says_so(session):
    world = build_world(session)
    empty = make_unit(session, parent=world.branch_b, name="乙第二党小组", kind=UnitKind.GROUP)
    secretary = make_user(session, username="secx", roles=((Role.SECRETARY, empty),))
    frame = Frame.of(session, 2026, FIXED_NOW)
    reminders.secretary_digests(session, FIXED_NOW, frame, [])
    digest = _only(session, secretary, "secretary_digest")
    assert rendered(digest, "en").title == "Weekly digest: 0 things to follow up"
    assert rendered(digest, "en").body == "Nothing needs your attention this week."
    assert rendered(digest, "zh_Hans").body == "本周没有需要您处理的事项。"


def test_a_reminder_email_is_written_in_the_recipients_language(session):
    world = build_world(session)
    world.member_a.locale = "en"
    set_reminder_address(session, world.member_a, "mema@example.org", FIXED_NOW)
    set_reminder_address(session, world.general_secretary, "gsec@example.org", FIXED_NOW)
    mails: list[reminders.Mail] = []
    reminders.pace_reminders(session, FIXED_NOW, Frame.of(session, 2026, FIXED_NOW), mails)
    by_address = {mail.to: mail for mail in mails}
    assert by_address["mema@example.org"].subject == "You are behind this year's study-hour pace"
    assert by_address["mema@example.org"].body.endswith("\n\n/study/me")
    assert by_address["gsec@example.org"].subject == "您本年度的学时进度滞后"


def test_assessment_steps_results_and_reminders_are_stored_as_messages(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    opened = _only(session, extras[0], "assessment_self_appraisal_open")
    assert (opened.kind, opened.params) == ("assessment", {"year": 2026, "period": period.id})
    assert rendered(opened, "zh_Hans").title == "2026年民主评议个人自评已开始，请填写您的个人自评。"
    assert rendered(opened, "en").title == (
        "The self-appraisal (个人自评) of 2026 is open: write yours."
    )
    run_schedule(session, period.peer_opens_at - timedelta(hours=24))
    reminder = _only(session, extras[0], "assessment_reminder")
    assert reminder.kind == "assessment_reminder"
    assert reminder.params == {"step": "self_appraisal", "year": 2026, "period": period.id}
    assert rendered(reminder, "zh_Hans").title == "提醒：2026年个人自评即将结束。"
    assert rendered(reminder, "en").title == (
        "Reminder: Self-appraisal (个人自评) of 2026 closes soon."
    )


def test_the_assessment_result_is_stored_as_a_message(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    members = [world.secretary_a, world.general_secretary, world.member_a, *extras]
    proposals = {member.id: (Grade.QUALIFIED, "表现良好") for member in members}
    propose_all(session, world, period, proposals, FIXED_NOW)
    grading.submit(session, world.secretary_a, period, "", FIXED_NOW)
    grading.lock(session, world.secretary_a, period, FIXED_NOW)
    result = _only(session, extras[0], "assessment_result")
    assert (result.kind, result.params) == ("assessment", {"year": 2026, "period": period.id})
    assert rendered(result, "zh_Hans").title == "您2026年的民主评议结果已公布。"
    assert rendered(result, "en").title == "Your assessment result for 2026 is available."


def test_a_question_sent_back_is_stored_as_a_message(session):
    world = build_world(session)
    editor = make_user(session, roles=((Role.BANK_EDITOR, world.root),))
    reviewer = make_user(session, roles=((Role.REVIEWER, world.root),))
    bank = make_bank(session)
    question = make_question(
        session, bank, editor, status=QuestionStatus.IN_REVIEW, stem="党的最高领导机关是什么？"
    )
    reject_question(session, reviewer, question, "选项C有歧义", FIXED_NOW)
    notice = _only(session, editor, "question_rejected")
    assert notice.kind == "question_rejected"
    assert notice.params == {
        "stem": "党的最高领导机关是什么？",
        "question": question.id,
        "reason": "选项C有歧义",
    }
    assert rendered(notice, "zh_Hans").title == "您的试题“党的最高领导机关是什么？”被审核退回"
    assert rendered(notice, "en").title == (
        "A reviewer sent back your question “党的最高领导机关是什么？”"
    )
    assert rendered(notice, "en").body == "选项C有歧义"
    assert notices_of(session, reviewer) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
