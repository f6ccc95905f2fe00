"""Quiz test fixtures."""

import pytest
from flask_babel import force_locale


@pytest.fixture
def ctx(app):
    """An app context for calling services directly, in English: assertions read the msgids,
    whatever the Chinese catalogue (the default) holds. Make no requests inside it."""
    with app.test_request_context(), force_locale("en"):
        yield
