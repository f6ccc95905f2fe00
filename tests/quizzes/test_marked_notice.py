"""A member hears when the last of their answers has been marked, unless the quiz never shows
results."""

import sqlalchemy as sa

from learnapp.notifications.models import Notification
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import mark_answer
from learnapp.quizzes.models import FinishedBy, ReleasePolicy
from learnapp.quizzes.queries import slots_of
from tests.factories import FIXED_NOW
from tests.notifications.helpers import rendered
from tests.quizzes.helpers import make_paper, make_quiz


def _submitted(session, world, **settings):
    quiz = make_quiz(session, world.root, make_paper(session, types=("short",)), **settings)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    answers.save_answer(
        session,
        attempt.id,
        1,
        0,
        {"text": "坚持民主集中制"},
        FIXED_NOW,
        member_id=attempt.member_id,
    )
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return attempt


def _notices(session, user):
    return session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()


def test_the_member_is_told_when_the_last_answer_is_marked(session, world, ctx):
    attempt = _submitted(session, world)
    assert _notices(session, world.member_a) == []
    mark_answer(session, world.admin, slots_of(session, attempt)[0], "3", "", FIXED_NOW)
    (notice,) = _notices(session, world.member_a)
    assert notice.kind == "quiz_marked"
    assert notice.link == f"/quizzes/attempts/{attempt.id}/result"
    assert notice.message == "quiz_marked"
    assert notice.params == {"quiz": "党章知识测试", "attempt": attempt.id}
    assert rendered(notice, "zh_Hans").title == "您在“党章知识测试”中的作答已阅卷"
    assert rendered(notice, "en").title == "Your answers to “党章知识测试” have been marked"


def test_no_notice_when_the_quiz_never_shows_results(session, world, ctx):
    attempt = _submitted(session, world, release=ReleasePolicy.NEVER)
    mark_answer(session, world.admin, slots_of(session, attempt)[0], "3", "", FIXED_NOW)
    assert _notices(session, world.member_a) == []
