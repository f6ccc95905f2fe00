"""The home page: this year's 学时 against the target, and the quizzes open to the member."""

from datetime import timedelta
from decimal import Decimal

from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from learnapp.orgs.models import MemberCategory
from learnapp.quizzes import attempts
from learnapp.quizzes.authoring import archive_quiz, publish_quiz
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import Composition, FinishedBy, QuizKind
from learnapp.quizzes.overrides import OverrideInput, save_override
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz
from tests.world import build_world


def _year_card(page: str) -> str:
    start = page.index('data-testid="home-year"')
    return page[start : page.index("</section>", start)]


def test_home_shows_the_years_hours_against_the_target(app, auth, session):
    world = build_world(session)
    with app.test_request_context():
        credit(
            session,
            world.member_b,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            1,
            "1.5",
            5400,
            FIXED_NOW,
        )
    session.commit()
    auth.login("memb")
    card = _year_card(auth.client.get("/").get_data(as_text=True))
    assert 'data-testid="home-counted">1.50<' in card
    assert "/ 32" in card
    assert 'value="5"' in card  # 1.5 of 32 is 4.7 %
    assert "30.50" in card


def test_home_shows_the_higher_target_to_a_secretary_and_exemption_to_the_elderly(auth, session):
    world = build_world(session)
    make_user(session, username="elder", unit=world.branch_a, is_elderly_exempt=True)
    session.commit()
    auth.login("seca")
    assert "/ 56" in _year_card(auth.client.get("/").get_data(as_text=True))
    auth.logout()
    auth.login("elder")
    card = _year_card(auth.client.get("/").get_data(as_text=True))
    assert "/ 32" not in card and "<progress" not in card


def test_home_lists_no_quiz_when_none_is_open(auth, session):
    build_world(session)
    make_user(session, username="activist", category=MemberCategory.ACTIVIST)
    session.commit()
    auth.login("activist")
    page = auth.client.get("/").get_data(as_text=True)
    start = page.index('data-testid="home-quizzes"')
    assert 'href="/quizzes/' in page[start:]
    assert "list-group-item-action" not in page[start:]


def test_home_lists_the_quizzes_open_to_the_member(app, auth, session):
    world = build_world(session)
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("single",)))
    session.commit()
    auth.login("mema")
    page = auth.client.get("/").get_data(as_text=True)
    assert f'href="/quizzes/{quiz.id}"' in page[page.index('data-testid="home-quizzes"') :]
    auth.logout()
    auth.login("memb")  # another branch: not in the quiz's audience
    page = auth.client.get("/").get_data(as_text=True)
    assert f'href="/quizzes/{quiz.id}"' not in page


def _home_titles(auth, titles: list[str]) -> list[str]:
    """The titles the home page's quiz list shows, of these, in its order."""
    page = auth.client.get("/").get_data(as_text=True)
    start = page.index('data-testid="home-quizzes"')
    section = page[start : page.index("</section>", start)]
    return sorted((t for t in titles if f">{t}<" in section), key=lambda t: section.index(f">{t}<"))


def test_home_lists_what_the_member_can_still_do_nearest_close_first(app, auth, session):
    world = build_world(session)
    with app.test_request_context():
        paper = make_paper(session, types=("judge",))
        daily = make_quiz(
            session,
            world.branch_a,
            paper,
            publish=False,
            title="每日答题",
            kind=QuizKind.DAILY,
            composition=Composition.RANDOM,
            attempts_allowed=0,
            closes_at=None,
            duration_seconds=None,
        )
        add_rule(
            session,
            None,
            daily,
            RuleInput(paper.bank, None, None, None, 1, Decimal("1")),
            FIXED_NOW,
        )
        publish_quiz(session, None, daily, FIXED_NOW)
        later = make_quiz(session, world.branch_a, paper, title="七天后截止")
        sooner = make_quiz(
            session,
            world.branch_a,
            paper,
            title="三天后截止",
            closes_at=FIXED_NOW + timedelta(days=3),
        )
        used = make_quiz(session, world.branch_a, paper, title="已考完", attempts_allowed=1)
        make_quiz(
            session,
            world.branch_a,
            paper,
            title="明天开考",
            opens_at=FIXED_NOW + timedelta(days=1),
            closes_at=FIXED_NOW + timedelta(days=8),
        )
        taken = attempts.start_attempt(session, world.member_a, used, FIXED_NOW)
        attempts.finalize(session, taken.id, FIXED_NOW, FinishedBy.MEMBER)
    session.commit()
    titles = ["每日答题", "七天后截止", "三天后截止", "已考完", "明天开考"]
    auth.login("mema")
    # The finished exam and the one not open yet take no slot: the daily questions keep theirs.
    assert _home_titles(auth, titles) == ["三天后截止", "七天后截止", "每日答题"]
    quiz_list = auth.client.get("/quizzes/").get_data(as_text=True)
    assert "已考完" in quiz_list and "明天开考" in quiz_list  # still on the full list

    # A member's own later close counts, and is the one shown.
    own_close = FIXED_NOW + timedelta(days=10)
    with app.test_request_context():
        save_override(
            session,
            world.admin,
            sooner,
            world.member_a,
            OverrideInput(closes_at=own_close, reason="出差"),
            FIXED_NOW,
        )
        shown = app.jinja_env.filters["quiz_time"](own_close)
    session.commit()
    assert _home_titles(auth, titles) == ["七天后截止", "三天后截止", "每日答题"]
    page = auth.client.get("/").get_data(as_text=True)
    assert f"{shown} 截止" in page

    # An attempt in progress comes first, to continue; today's done daily questions come after
    # everything still to start.
    with app.test_request_context():
        running = attempts.start_attempt(session, world.member_a, sooner, FIXED_NOW)
        make_quiz(
            session,
            world.branch_a,
            paper,
            title="新练习",
            kind=QuizKind.PRACTICE,
            closes_at=None,
        )
        done = attempts.start_attempt(session, world.member_a, daily, FIXED_NOW)
        attempts.finalize(session, done.id, FIXED_NOW, FinishedBy.MEMBER)
    session.commit()
    titles.append("新练习")
    assert _home_titles(auth, titles) == ["三天后截止", "七天后截止", "新练习"]
    page = auth.client.get("/").get_data(as_text=True)
    assert f'href="/quizzes/attempts/{running.id}" data-testid="home-running"' in page
    with app.test_request_context():
        attempts.finalize(session, running.id, FIXED_NOW, FinishedBy.MEMBER)
        archive_quiz(session, world.admin, later, FIXED_NOW)
    session.commit()
    assert _home_titles(auth, titles) == ["三天后截止", "新练习", "每日答题"]
    assert 'data-testid="daily-state">今日已完成<' in auth.client.get("/").get_data(as_text=True)
