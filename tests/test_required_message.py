"""One wording for a required field across the app: WTForms' own message in its own translation,
which every form shows for DataRequired and InputRequired. A message our catalogue shares with
WTForms (forms that pass it explicitly) must read exactly as WTForms' does."""

import pytest
from babel import Locale, support
from babel.messages.pofile import read_po
from wtforms.i18n import messages_path

from learnapp.assessments.models import Step
from learnapp.i18n_check import TRANSLATIONS
from tests.assessments.helpers import assessment_world, new_period


def _wtforms_zh():
    return support.Translations.load(messages_path(), [Locale.parse("zh_Hans")], domain="wtforms")


REQUIRED_ZH = _wtforms_zh().ugettext("This field is required.")


def test_our_catalogue_words_the_messages_it_shares_with_wtforms_as_wtforms_does():
    wtforms = _wtforms_zh()
    with open(TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        ours = read_po(handle, locale="zh_Hans")
    # WTForms translates a message it knows; any other comes back as it was.
    shared = {
        message.id: (message.string, wtforms.ugettext(message.id))
        for message in ours
        if isinstance(message.id, str) and message.id and wtforms.ugettext(message.id) != message.id
    }
    assert "This field is required." in shared
    assert {msgid: pair for msgid, pair in shared.items() if pair[0] != pair[1]} == {}


@pytest.fixture
def period_id(app, session):
    with app.test_request_context():
        world, _extras = assessment_world(session)
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        session.commit()
        return period.id


def test_an_empty_self_appraisal_and_an_empty_complaint_get_the_same_message(period_id, auth):
    auth.login("mema")
    appraisal = auth.post(f"/assessments/periods/{period_id}/self", {"text": ""})
    complaint = auth.post("/feedback", {"subject": "", "body": ""})
    for response in (appraisal, complaint):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert REQUIRED_ZH in page and "此项为必填项" not in page
