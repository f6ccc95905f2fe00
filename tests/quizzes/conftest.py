"""Quiz test fixtures."""

import pytest
from flask_babel import force_locale

from tests.quizzes.helpers import make_paper, make_quiz
from tests.world import build_world


@pytest.fixture
def ctx(app):
    """An app context for calling services directly, in English: assertions read the msgids,
    whatever the Chinese catalogue (the default) holds. Make no requests inside it."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture
def exam(app, session, world):
    """A published exam for the whole organisation over one question of each type."""
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session))
    session.commit()
    return quiz


@pytest.fixture
def final_exam(app, session, world):
    """The same exam with one attempt: the member's only attempt shows its keys at once."""
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session), attempts_allowed=1)
    session.commit()
    return quiz
