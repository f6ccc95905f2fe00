"""The home page: this year's 学时 against the target, and the quizzes open to the member."""

from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from learnapp.orgs.models import MemberCategory
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
