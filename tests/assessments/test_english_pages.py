"""The assessment pages in English: every message is written in English, with a Chinese term
only as a gloss in parentheses (“Excellent (优秀)”), and the pages a tester found half in
Chinese read in English."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from learnapp.assessments.models import Step
from learnapp.orgs.models import Role
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u3400-\u9fff]")
GLOSS = re.compile(r"\([^()]*[\u3400-\u9fff][^()]*\)")
METHODS = [("learnapp/assessments/**.py", "python"), ("templates/assessments/**.html", "jinja2")]


def _msgids() -> list[str]:
    found = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}
    ):
        found.extend([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_assessment_messages_are_english_with_chinese_only_as_a_gloss():
    msgids = _msgids()
    assert len(msgids) > 100 and "Excellent (优秀)" in msgids
    chinese = [msgid for msgid in msgids if HAN.search(GLOSS.sub("", msgid))]
    assert chinese == []


@pytest.fixture
def english(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        for user in (world.secretary_a, *extras):
            user.locale = "en"
        session.commit()
    return world


def _period_id(app, session, world, to: Step) -> int:
    with app.test_request_context():
        period = new_period(session, world, to=to)
        session.commit()
        return period.id


def _visible(html: str) -> str:
    """The page's text without its markup and without the Chinese glosses of English labels."""
    return GLOSS.sub("", re.sub(r"<[^>]+>", " ", html))


def test_the_committee_pages_read_in_english(app, session, english, auth):
    period_id = _period_id(app, session, english, Step.COMMITTEE)
    auth.login("seca")
    base = f"/assessments/periods/{period_id}"
    period = _visible(auth.client.get(base).get_data(as_text=True))
    assert "Bonus and deduction items" in period and "Assessment results (.xlsx)" in period
    assert "Self-appraisal" in period
    for chinese in ("积分 items", "评议结果表", "自评"):
        assert chinese not in period
    preview = _visible(auth.client.get(f"{base}/preview").get_data(as_text=True))
    assert "Study hours" in preview and "学时" not in preview
    dossier = _visible(
        auth.client.get(f"{base}/dossiers/{english.extras[0].id}").get_data(as_text=True)
    )
    assert "study hours" in dossier and "学时" not in dossier
    assert "Bonus (approved bonus items, capped)" in dossier and "积分" not in dossier
    export = auth.client.get(f"{base}/results.xlsx")
    assert export.status_code == 200
    disposition = export.headers["Content-Disposition"]
    assert "Assessment%20results" in disposition and "%E8%AF%84%E8%AE%AE" not in disposition


def test_the_ballot_page_reads_in_english(app, session, english, auth):
    period_id = _period_id(app, session, english, Step.EVALUATION)
    auth.login("ext0")
    ballot = _visible(
        auth.client.get(f"/assessments/periods/{period_id}/ballot").get_data(as_text=True)
    )
    assert "Mark everyone not yet rated as qualified" in ballot and "as 合格" not in ballot


def test_another_branchs_secretary_is_kept_out_of_the_pages(app, session, english, auth):
    with app.test_request_context():
        make_user(
            session,
            username="secb",
            unit=english.branch_b,
            roles=((Role.SECRETARY, english.branch_b),),
            locale="en",
        )
        session.commit()
    period_id = _period_id(app, session, english, Step.COMMITTEE)
    auth.login("secb")
    for path in ("", "/preview", f"/dossiers/{english.extras[0].id}"):
        assert auth.client.get(f"/assessments/periods/{period_id}{path}").status_code == 404
