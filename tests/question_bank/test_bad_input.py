"""Hostile and malformed input on the bank screens (security.md §6.1, §6.4, §6.6)."""

import pytest

from learnapp.orgs.models import Role
from learnapp.question_bank.models import Question
from learnapp.web import LANG_COOKIE
from tests.factories import make_unit, make_user
from tests.question_bank.factories import make_bank

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<svg onload=alert(1)><a href="javascript:alert(1)">x</a>',
    '" autofocus onfocus=alert(1) x="',
    "</textarea><script>alert(1)</script>",
    "{{7*7}}",
]
TRICKY = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read the English messages; Chinese is the default catalogue."""
    client.set_cookie(LANG_COOKIE, "en")


@pytest.fixture
def editor_bank(session):
    root = make_unit(session, name="党委")
    make_user(session, username="editor", roles=((Role.BANK_EDITOR, root), (Role.REVIEWER, root)))
    bank = make_bank(session, unit=root, two_person_review=False)
    session.commit()
    return bank


def _form(stem, option):
    return {
        "stem": stem,
        "options-0": option,
        "options-1": "正常选项",
        "answer": "A",
        "points": "1",
        "difficulty": "2",
        "audience": "all",
        "explanation": option,
        "tags": option[:50],
    }


@pytest.mark.parametrize("payload", XSS)
def test_html_in_stem_options_and_explanation_is_rendered_inert(
    client, auth, session, editor_bank, payload
):
    auth.login("editor")
    response = auth.post(
        f"/bank/{editor_bank.id}/questions/new/single", _form(f"题干{payload}", payload)
    )
    assert response.status_code == 302
    question = session.query(Question).one()
    for path in (
        f"/bank/questions/{question.id}",
        f"/bank/questions/{question.id}/preview",
        f"/bank/questions/{question.id}/preview?key=1",
        f"/bank/questions/{question.id}/edit",
        f"/bank/{editor_bank.id}/",
    ):
        html = client.get(path).get_data(as_text=True)
        for active in (
            "<script>alert",
            "<img src=x",
            "<svg",
            '" autofocus onfocus=alert(1)',
        ):
            assert active not in html, (path, active)
    stem_html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    shown = stem_html.split('data-testid="stem">')[1].split("</p>")[0]
    assert shown.startswith("题干") and "<" not in shown


def test_tricky_characters_round_trip_exactly(client, auth, session, editor_bank):
    auth.login("editor")
    auth.post(f"/bank/{editor_bank.id}/questions/new/single", _form(TRICKY, TRICKY))
    question = session.query(Question).one()
    version = question.current_version
    assert version.stem == TRICKY.strip() and version.spec["options"][0] == TRICKY.strip()
    html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp;" in html


def test_overlong_stem_is_refused_and_nothing_stored(client, auth, session, editor_bank):
    auth.login("editor")
    response = auth.post(f"/bank/{editor_bank.id}/questions/new/single", _form("长" * 2001, "甲"))
    assert response.status_code == 400
    assert session.query(Question).count() == 0


@pytest.mark.parametrize(
    "points", ["abc", "nan", "inf", "-1", "0", "1e309", "100.5", "99999999999999999999"]
)
def test_bad_points_are_refused(client, auth, session, editor_bank, points):
    auth.login("editor")
    response = auth.post(
        f"/bank/{editor_bank.id}/questions/new/single", {**_form("题", "甲"), "points": points}
    )
    assert response.status_code == 400
    assert session.query(Question).count() == 0


@pytest.mark.parametrize(
    "field", [{"difficulty": "9"}, {"difficulty": "x"}, {"audience": "admins"}, {"answer": "Z"}]
)
def test_values_outside_the_choices_are_refused(client, auth, session, editor_bank, field):
    auth.login("editor")
    response = auth.post(
        f"/bank/{editor_bank.id}/questions/new/single", {**_form("题", "甲"), **field}
    )
    assert response.status_code == 400
    assert session.query(Question).count() == 0


def test_mass_assigned_fields_are_ignored(client, auth, session, editor_bank):
    auth.login("editor")
    form = {
        **_form("题", "甲"),
        "status": "active",
        "author_id": "1",
        "reviewer_id": "1",
        "bank_id": "999",
    }
    auth.post(f"/bank/{editor_bank.id}/questions/new/single", form)
    question = session.query(Question).one()
    assert question.status.value == "draft" and question.reviewer_id is None
    assert question.bank_id == editor_bank.id


@pytest.mark.parametrize("ids", [["abc"], ["1.0"], ["-1"], ["١"], ["99999999999999999999999"]])
def test_bulk_with_junk_ids_does_nothing(client, auth, editor_bank, ids):
    auth.login("editor")
    response = auth.post(
        f"/bank/{editor_bank.id}/bulk", {"action": "retire", "ids": ids}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Tick at least one question" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["?page=1&page=2", "?kp=0x10", "?tag=1.0", "?source=%D9%A1", "?version=-1"]
)
def test_ambiguous_query_integers_are_400(client, auth, editor_bank, query):
    auth.login("editor")
    path = f"/bank/{editor_bank.id}/" if "version" not in query else "/bank/questions/1"
    assert client.get(path + query).status_code in (400, 404)
