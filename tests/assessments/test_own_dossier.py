"""What a member sees of their own evidence dossier: no exam result their exam's release policy
still withholds from them, nor any figure computed from it; the branch's managers see it all."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.assessments import evidence
from learnapp.assessments.disclosure import own_view
from learnapp.assessments.models import Dossier, Step
from learnapp.assessments.rules import ScoreRules
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.models import FinishedBy, ReleasePolicy
from learnapp.quizzes.queries import withheld_exam_results
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz, sent_statements

CLOSE = FIXED_NOW + timedelta(days=7)  # make_quiz's close
AFTER_GRACE = CLOSE + timedelta(minutes=2)  # past the close and its 60 s grace


@pytest.fixture
def world(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        session.commit()
    return world


def _sat(session, member, quiz, percent: str):
    """A graded attempt of `member` on `quiz`, scored `percent`."""
    attempt = svc.start_attempt(session, member, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    attempt.percent = Decimal(percent)
    session.flush()
    return attempt


def _exams(session, world, member, *policies):
    """An exam per release policy, titled after it, each sat by `member` (87.5% on the first,
    then 62.5%, 41.25%, ...)."""
    paper = make_paper(session, types=("single", "judge"))
    percents = ["87.50", "62.50", "41.25", "33.75"]
    quizzes = []
    for policy, percent in zip(policies, percents, strict=False):
        quiz = make_quiz(session, world.root, paper, title=f"考试-{policy.value}", release=policy)
        _sat(session, member, quiz, percent)
        quizzes.append(quiz)
    return quizzes


def _evidence(session, period, member, now=FIXED_NOW):
    rules = ScoreRules.from_json(period.rule_set.rules)
    return evidence.compute(session, period, rules, now, only=member.id)[member.id]


@pytest.mark.usefixtures("ctx")
class TestOwnView:
    def test_a_withheld_exam_and_every_figure_from_it_are_hidden(self, session, world):
        member = world.extras[0]
        shown, never, after_close = _exams(
            session,
            world,
            member,
            ReleasePolicy.IMMEDIATELY,
            ReleasePolicy.NEVER,
            ReleasePolicy.AFTER_CLOSE,
        )
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        data = _evidence(session, period, member)
        # 41.25% is under the pass mark.
        assert data["score"]["total"] is not None and data["exams"]["passed"] == 2
        seen = own_view(session, period, member, data, FIXED_NOW)
        assert seen["exams"]["results"] == [
            {"quiz_id": shown.id, "title": shown.title, "percent": "87.50", "passed": True},
            {"title": never.title, "withheld": True},
            {"title": after_close.title, "withheld": True},
        ]
        assert seen["exams"]["withheld"] == 2
        assert seen["exams"]["passed"] is None and seen["exams"]["share"] is None
        assert seen["score"]["parts"]["exams"] is None
        assert seen["score"]["base"] is None and seen["score"]["total"] is None
        # What does not come from the exams still shows; the organisation's copy is untouched.
        assert seen["score"]["parts"]["attendance"] == data["score"]["parts"]["attendance"]
        assert seen["score"]["bonus"] == data["score"]["bonus"]
        assert data["exams"]["results"][1]["percent"] == "62.50"

    def test_results_released_after_the_close_show_once_nobody_can_answer(self, session, world):
        member = world.extras[0]
        never, after_close = _exams(
            session, world, member, ReleasePolicy.NEVER, ReleasePolicy.AFTER_CLOSE
        )
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        data = _evidence(session, period, member)
        seen = own_view(session, period, member, data, AFTER_GRACE)
        assert seen["exams"]["results"][1]["percent"] == "62.50"
        assert seen["exams"]["results"][0] == {"title": never.title, "withheld": True}
        assert seen["exams"]["withheld"] == 1 and seen["score"]["total"] is None
        assert withheld_exam_results(session, [never.id, after_close.id], CLOSE) == {
            never.id,
            after_close.id,
        }

    def test_with_nothing_withheld_the_dossier_shows_whole(self, session, world):
        member = world.extras[0]
        _exams(session, world, member, ReleasePolicy.IMMEDIATELY)
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        data = _evidence(session, period, member)
        assert own_view(session, period, member, data, FIXED_NOW) is data
        assert data["score"]["total"] is not None

    def test_the_release_of_many_exams_is_read_in_a_fixed_number_of_queries(self, session, world):
        one = [ReleasePolicy.AFTER_CLOSE]
        four = [ReleasePolicy.AFTER_CLOSE, ReleasePolicy.NEVER] * 2
        sets = [
            [quiz.id for quiz in _exams(session, world, member, *policies)]
            for member, policies in ((world.extras[0], one), (world.extras[1], four))
        ]
        session.commit()
        counts = []
        for ids, policies in zip(sets, (one, four), strict=True):
            session.expire_all()
            with sent_statements(session) as statements:
                withheld = withheld_exam_results(session, ids, AFTER_GRACE)
            never = zip(ids, policies, strict=True)
            assert withheld == {i for i, policy in never if policy == ReleasePolicy.NEVER}
            counts.append(sum(1 for s in statements if s.startswith("SELECT")))
        assert counts[0] == counts[1] == 3

    def test_a_dossier_frozen_before_exams_were_named_hides_every_listed_result(
        self, session, world
    ):
        member = world.extras[0]
        _exams(session, world, member, ReleasePolicy.IMMEDIATELY, ReleasePolicy.NEVER)
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        data = _evidence(session, period, member)
        # The shape frozen before: titles, percentages and passes, no exam ids.
        data["exams"].pop("quiz_ids")
        for entry in data["exams"]["results"]:
            entry.pop("quiz_id")
        seen = own_view(session, period, member, data, FIXED_NOW)
        assert all(entry.get("withheld") for entry in seen["exams"]["results"])
        assert seen["exams"]["withheld"] == 1 and seen["score"]["total"] is None


def _cell(page: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', page).group(1).strip()


def _dossier_page(auth, period_id, member_id) -> str:
    response = auth.client.get(f"/assessments/periods/{period_id}/dossiers/{member_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_member_reads_their_frozen_dossier_without_the_withheld_result(
    app, session, world, auth
):
    member = world.extras[0]
    with app.test_request_context():
        _exams(session, world, member, ReleasePolicy.IMMEDIATELY, ReleasePolicy.NEVER)
        period = new_period(session, world, to=Step.COMMITTEE)
        session.commit()
        period_id = period.id
    total = session.scalar(
        sa.select(Dossier.score).where(
            Dossier.period_id == period_id, Dossier.member_id == member.id
        )
    )
    auth.login(member.username)
    page = _dossier_page(auth, period_id, member.id)
    assert "87.50%" in page and "62.50%" not in page
    assert 'data-testid="exam-withheld"' in page and 'data-testid="withheld-note"' in page
    assert "成绩未公布" in page
    assert _cell(page, "reference-score") == _cell(page, "base-score") == "暂不显示"
    assert _cell(page, "exam-points") == "暂不显示"
    auth.logout()
    auth.login("seca")
    page = _dossier_page(auth, period_id, member.id)
    assert "87.50%" in page and "62.50%" in page
    assert _cell(page, "reference-score") == str(total)
    assert 'data-testid="exam-withheld"' not in page and 'data-testid="withheld-note"' not in page


def test_a_secretary_reading_their_own_dossier_sees_it_as_a_member(app, session, world, auth):
    with app.test_request_context():
        _exams(session, world, world.secretary_a, ReleasePolicy.NEVER)
        period_id = new_period(session, world, to=Step.SELF_APPRAISAL).id
        session.commit()
    auth.login("seca")
    page = _dossier_page(auth, period_id, world.secretary_a.id)
    assert "87.50%" not in page and 'data-testid="exam-withheld"' in page
    auth.logout()
    auth.login("gsec")
    assert "87.50%" in _dossier_page(auth, period_id, world.secretary_a.id)
