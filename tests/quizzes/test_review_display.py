"""What the member's pages show after answering: fill-in answers per blank, partial marks, plurals
and true/false labels in the page's language, the 每日答题 done state, the 错题本 with keys only
where results are released, and the demo's 党章 topic set."""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from learnapp.accounts.models import User
from learnapp.clock import org_timezone
from learnapp.question_bank.models import KnowledgePoint
from learnapp.quizzes.attempts import start_attempt
from learnapp.quizzes.authoring import publish_quiz
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    Composition,
    Quiz,
    QuizKind,
    ReleasePolicy,
    WrongAnswer,
)
from learnapp.quizzes.overrides import OverrideInput, save_override
from learnapp.quizzes.presenters import Outcome, review_question, wrong_book_items
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.release import Withheld, Withholding
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import EXPLANATION, FILL_KEY, make_paper, make_quiz


def _slot(question_type, spec, response, *, awarded, points, is_correct, option_order=()):
    version = SimpleNamespace(
        stem="题干",
        spec=spec,
        explanation="",
        source_document="",
        source_version="",
    )
    return SimpleNamespace(
        position=1,
        version_id=1,
        version=version,
        key_version=version,
        graded_version_id=None,
        question_type=question_type,
        response=response,
        option_order=list(option_order),
        awarded=None if awarded is None else Decimal(awarded),
        points=Decimal(points),
        is_correct=is_correct,
        marker_comment="",
    )


class TestReviewQuestion:
    pytestmark = pytest.mark.usefixtures("ctx")

    def test_fill_answers_are_shown_per_blank_with_their_synonyms(self):
        spec = {"blanks": [["集中轮训", "轮训"], ["32", "三十二"]], "any_order": False}
        item = review_question(
            _slot(
                "fill",
                spec,
                {"blanks": ["轮训", "30"]},
                awarded="1",
                points="2",
                is_correct=False,
            )
        )
        assert item.key_blanks == ["Blank 1: 集中轮训 (or: 轮训)", "Blank 2: 32 (or: 三十二)"]
        assert item.answer_blanks == ["Blank 1: 轮训", "Blank 2: 30"]
        assert "|" not in "".join(item.key_blanks) and ";;" not in "".join(item.key_blanks)

    def test_an_unanswered_fill_has_no_answer_lines(self):
        spec = {"blanks": [["八"]], "any_order": False}
        item = review_question(_slot("fill", spec, None, awarded="0", points="1", is_correct=False))
        assert item.answer_blanks == [] and item.key_blanks == ["Blank 1: 八"]

    @pytest.mark.parametrize(
        ("awarded", "is_correct", "outcome"),
        [
            ("2", True, Outcome.CORRECT),
            ("1", False, Outcome.PARTIAL),
            ("0", False, Outcome.WRONG),
            (None, None, Outcome.PENDING),
        ],
    )
    def test_a_mark_tells_partial_credit_from_wrong(self, awarded, is_correct, outcome):
        spec = {"options": ["甲", "乙", "丙"], "answers": [0, 1]}
        slot = _slot(
            "multiple",
            spec,
            {"choices": [0]},
            awarded=awarded,
            points="2",
            is_correct=is_correct,
            option_order=[0, 1, 2],
        )
        assert review_question(slot).outcome == outcome

    def test_true_or_false_is_shown_in_the_pages_language(self):
        item = review_question(
            _slot(
                "judge",
                {"answer": False},
                {"value": True},
                awarded="0",
                points="1",
                is_correct=False,
            )
        )
        assert (item.answer_text, item.key_text) == ("True", "False")

    def test_short_answer_key_points_are_a_list(self):
        points = ["坚持理论联系实际", "学以致用"]
        spec = {"reference": "\n".join(points), "key_points": points}
        item = review_question(
            _slot("short", spec, {"text": "答"}, awarded="4", points="5", is_correct=False)
        )
        assert item.key_points == points
        assert item.reference_is_key_points  # listed once, not again as one run-on line
        assert item.outcome == Outcome.PARTIAL


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/attempts/(\d+)$", response.headers["Location"]).group(1))


def _slots(session, attempt_id):
    reload(session)
    return session.scalars(
        sa.select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt_id)
        .order_by(AttemptQuestion.position)
    ).all()


def _marks(page: str) -> list[str]:
    return re.findall(r'data-testid="review-mark" data-outcome="(\w+)"', page)


def test_the_english_result_shows_blanks_partial_marks_and_translated_labels(
    session, auth, world, final_exam
):
    auth.client.set_cookie(LANG_COOKIE, "en")
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    taking = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert "1 point<" in taking and "1 points" not in taking and "2 points" in taking
    slots = {s.question_type: s for s in _slots(session, attempt_id)}
    multiple = slots["multiple"]
    first_right = multiple.option_ids[multiple.option_order.index(0)]
    form = {
        f"q{multiple.position}": first_right,  # a subset with no wrong option: half marks
        f"q{slots['judge'].position}": "true",  # the key is false
        f"q{slots['fill'].position}-0": "七",
        **{f"seq-{s.position}": "0" for s in slots.values()},
    }
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", form)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    marks = _marks(page)
    assert marks[multiple.position - 1] == "partial"
    assert marks[slots["judge"].position - 1] == "wrong"
    assert "Partly correct" in page
    assert f"Blank 1: {FILL_KEY} (or: 8)" in page and "Blank 1: 七" in page
    assert f"{FILL_KEY}|8" not in page
    judge = page.split('id="item-{}"'.format(slots["judge"].position))[1].split("</section>")[0]
    answer = re.search(r'data-testid="review-answer">([^<]*)<', judge).group(1)
    key = re.search(r'data-testid="review-key">([^<]*)<', judge).group(1)
    assert (answer, key) == ("True", "False")  # not 对/错


def test_the_result_lists_the_short_answers_key_points(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(
            session, world.root, make_paper(session, types=("short",)), attempts_allowed=1
        )
    session.commit()
    auth.login("mema")
    attempt_id = _start(auth, quiz)
    (slot,) = _slots(session, attempt_id)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")  # unanswered: graded at once
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    points = re.search(r'data-testid="review-key-points">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", points) == slot.version.spec["key_points"]


@pytest.fixture
def daily(app, session, world):
    with app.test_request_context():
        paper = make_paper(session, types=("single", "judge"))
        quiz = make_quiz(
            session,
            world.root,
            paper,
            publish=False,
            kind=QuizKind.DAILY,
            composition=Composition.RANDOM,
            attempts_allowed=0,
            closes_at=None,
            duration_seconds=None,
        )
        add_rule(
            session, None, quiz, RuleInput(paper.bank, None, None, None, 2, Decimal("1")), FIXED_NOW
        )
        publish_quiz(session, None, quiz, FIXED_NOW)
    session.commit()
    return quiz


def test_the_daily_page_shows_todays_result_instead_of_a_start_button(
    session, auth, clock, world, daily
):
    auth.login("mema")
    before = auth.client.get(f"/quizzes/{daily.id}").get_data(as_text=True)
    assert 'data-testid="start-attempt"' in before and 'data-testid="daily-done"' not in before
    attempt_id = _start(auth, daily)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    done = auth.client.get(f"/quizzes/{daily.id}").get_data(as_text=True)
    assert 'data-testid="daily-done"' in done and 'data-testid="daily-score"' in done
    assert 'data-testid="start-attempt"' not in done
    assert f"/quizzes/attempts/{attempt_id}/result" in done
    clock.advance(days=1)  # tomorrow's questions
    auth.login("mema")
    tomorrow = auth.client.get(f"/quizzes/{daily.id}").get_data(as_text=True)
    assert 'data-testid="start-attempt"' in tomorrow and 'data-testid="daily-done"' not in tomorrow


def test_the_home_page_says_whether_the_daily_questions_are_done_today(
    app, session, auth, clock, world, daily
):
    """The home page states the 每日答题 as the quiz list does."""
    with app.test_request_context():
        waiting, done = gettext("Today's questions are waiting"), gettext("Done today")

    def home_and_list() -> list[str]:
        states = []
        for path in ("/", "/quizzes/"):
            page = auth.client.get(path).get_data(as_text=True)
            states += re.findall(r'data-testid="daily-state">([^<]*)<', page)
        return [state.strip() for state in states]

    auth.login("mema")
    assert home_and_list() == [waiting, waiting]
    attempt_id = _start(auth, daily)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    assert home_and_list() == [done, done]
    clock.advance(days=1)
    auth.login("mema")
    assert home_and_list() == [waiting, waiting]


def _reasons(page: str) -> list[str]:
    """Why each 错题本 entry withholds its key (release.Withheld)."""
    return re.findall(r'data-testid="key-withheld" data-reason="([a-z_]+)"', page)


def _wrong_book(auth) -> str:
    response = auth.client.get("/quizzes/wrong-book")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_the_wrong_book_shows_the_key_and_the_members_answer_once_released(
    session, auth, world, final_exam
):
    auth.client.set_cookie(LANG_COOKIE, "en")
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    fill = next(s for s in _slots(session, attempt_id) if s.question_type == "fill")
    auth.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        {f"q{fill.position}-0": "七", f"seq-{fill.position}": "0"},
    )
    page = _wrong_book(auth)
    assert EXPLANATION in page  # the single-choice question's 解析
    assert f"Blank 1: {FILL_KEY} (or: 8)" in page and "Blank 1: 七" in page
    assert 'data-testid="key-withheld"' not in page
    assert "Wrong 1 time<" in page and "Wrong 1 times" not in page
    reload(session)
    due = session.scalars(sa.select(WrongAnswer.due_on)).first()
    assert f"Next review: {due.isoformat()}" in page


def test_the_wrong_book_never_shows_keys_of_results_not_released(
    session, auth, clock, world, final_exam
):
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    fill = next(s for s in _slots(session, attempt_id) if s.question_type == "fill")
    auth.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        {f"q{fill.position}-0": "七", f"seq-{fill.position}": "0"},
    )
    assert EXPLANATION in _wrong_book(auth)
    # The organisers hold the results back until the final_exam closes: so does the 错题本.
    reload(session)
    quiz = session.get(Quiz, final_exam.id)
    quiz.release = ReleasePolicy.AFTER_CLOSE
    session.commit()
    withheld = _wrong_book(auth)
    assert 'data-testid="key-withheld"' in withheld
    # Each entry says why, as the result page does: the results wait for the close.
    assert set(_reasons(withheld)) == {"after_close"}
    assert "成绩将在考试结束（" in withheld and "成绩公布后显示答案" not in withheld
    assert EXPLANATION not in withheld and FILL_KEY not in withheld
    assert 'data-testid="review-key"' not in withheld and "七" not in withheld
    assert session.scalar(sa.select(sa.func.count()).select_from(WrongAnswer))  # still listed
    clock.advance(days=8)  # past the close
    auth.login("mema")
    assert EXPLANATION in _wrong_book(auth)
    reload(session)
    quiz = session.get(Quiz, final_exam.id)
    quiz.release = ReleasePolicy.NEVER
    session.commit()
    never = _wrong_book(auth)
    assert EXPLANATION not in never and 'data-testid="review-key"' not in never
    assert set(_reasons(never)) == {"never"} and "本场考试不公布成绩。" in never


def test_the_wrong_book_says_the_answers_wait_while_an_attempt_is_left(
    app, session, auth, world, final_exam
):
    """The score is out, yet the keys wait: an attempt granted later asks the same questions.
    The 错题本 says so, with the member's own close, as the result page does."""
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")  # everything unanswered: all wrong
    assert EXPLANATION in _wrong_book(auth)
    own_close = final_exam.closes_at + timedelta(days=1)
    with app.test_request_context():
        grant = OverrideInput(closes_at=own_close, attempts_allowed=2, reason="补考")
        save_override(session, world.admin, final_exam, world.member_a, grant, FIXED_NOW)
        until = own_close.astimezone(org_timezone()).strftime("%Y-%m-%d %H:%M")
    session.commit()
    page = _wrong_book(auth)
    assert EXPLANATION not in page and 'data-testid="review-key"' not in page
    assert set(_reasons(page)) == {"answerable"}
    assert f"作答次数用完或考试结束（{until}）后显示答案。" in page
    assert "成绩公布后显示答案" not in page
    result = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f"作答次数用完或考试结束（{until}）后显示答案。" in result


@pytest.mark.usefixtures("ctx")
def test_a_wrong_book_entry_with_no_wrong_answer_on_record_says_it_was_re_marked():
    entry = SimpleNamespace(
        question_id=7,
        version=SimpleNamespace(stem="题干", question=SimpleNamespace(type="single")),
    )
    (item,) = wrong_book_items([entry], {})
    assert item.review is None and item.withheld == Withholding(Withheld.REMARKED)


def test_the_wrong_book_holds_keys_back_while_the_question_is_being_answered(
    app, session, auth, world
):
    with app.test_request_context():
        practice = make_quiz(session, world.root, make_paper(session), kind=QuizKind.PRACTICE)
    session.commit()
    auth.login("mema")
    first = _start(auth, practice)
    auth.post(f"/quizzes/attempts/{first}/submit")  # everything unanswered: all wrong
    assert EXPLANATION in _wrong_book(auth)
    second = _start(auth, practice)  # the same questions again
    answering = _wrong_book(auth)
    assert EXPLANATION not in answering and 'data-testid="key-withheld"' in answering
    assert set(_reasons(answering)) == {"answering"}
    auth.post(f"/quizzes/attempts/{second}/submit")
    assert EXPLANATION in _wrong_book(auth)


@pytest.mark.usefixtures("ctx")
def test_the_demo_charter_topic_set_draws_charter_questions_only(session):
    from learnapp.demo import seed_demo
    from learnapp.quizzes.demo import TOPIC_TITLE

    seed_demo(session, FIXED_NOW)
    topic = session.scalar(sa.select(Quiz).where(Quiz.title == TOPIC_TITLE))
    assert topic.rules and {r.knowledge_point.name for r in topic.rules} == {"党章"}
    member = session.scalar(sa.select(User).where(User.username == "demo-member"))
    attempt = start_attempt(session, member, topic, FIXED_NOW + timedelta(minutes=1))
    slots = slots_of(session, attempt)
    assert len(slots) == 10
    for slot in slots:
        point = session.get(KnowledgePoint, slot.version.question.knowledge_point_id)
        assert point.full_name.startswith("党章"), point.full_name
        assert "党章" in slot.version.source_document or "章程" in slot.version.source_document
    assert session.scalar(sa.select(sa.func.count()).select_from(Attempt)) > 1
