"""The delete page of a unit with active members says first that they must be moved, and offers
no deactivation until they are; its refusal is a plural message the catalogues receive."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

from tests.factories import make_unit
from tests.world import build_world

ROOT = Path(__file__).parent.parent


def test_the_page_says_members_must_be_moved_and_offers_no_deactivation(auth, session):
    world = build_world(session)
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("admin")
    page = auth.client.get(f"/units/{world.branch_a.id}/delete").get_data(as_text=True)
    blocked = page[page.index('data-testid="deactivate-blocked"') :]
    blocked = blocked[: blocked.index("</div>")]
    # seca, gsec and mema (in the group below) are active members.
    assert "It still has 3 active members" in blocked
    assert f'href="/units/{world.branch_a.id}#members"' in blocked
    assert 'data-testid="unit-deactivate-disabled"' in page
    assert 'data-testid="unit-deactivate"' not in page
    assert f'action="/units/{world.branch_a.id}/deactivate"' not in page
    detail = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    assert 'id="members"' in detail


def test_a_unit_without_active_members_offers_deactivation(auth, session):
    world = build_world(session)
    empty = make_unit(session, parent=world.general, name="空支部")
    make_unit(session, parent=empty, name="空小组", kind=world.group_a.kind)
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/units/{empty.id}/delete").get_data(as_text=True)
    assert 'data-testid="deactivate-blocked"' not in page
    assert 'data-testid="unit-deactivate"' in page


def test_a_secretary_sees_the_same_notice_below_their_branch_and_members_get_nothing(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/units/{world.group_a.id}/delete").get_data(as_text=True)
    assert 'data-testid="deactivate-blocked"' in page
    auth.logout()
    auth.login("mema")
    assert auth.client.get(f"/units/{world.group_a.id}/delete").status_code in (403, 404)


def _extraction_keywords() -> dict:
    """The keywords `make messages` passes to pybabel extract, beside Babel's defaults."""
    makefile = (ROOT / "Makefile").read_text()
    line = next(line for line in makefile.splitlines() if "pybabel extract" in line)
    keywords = dict(DEFAULT_KEYWORDS)
    for spec in re.findall(r"-k (\S+)", line):
        name, _, positions = spec.partition(":")
        keywords[name] = tuple(int(p) for p in positions.split(",")) if positions else None
    return keywords


def test_the_refusal_to_deactivate_is_extracted_as_a_plural_message():
    messages = [
        message
        for _line, message, _comments, _context in extract_from_file(
            "python", ROOT / "learnapp/orgs/restructure.py", keywords=_extraction_keywords()
        )
    ]
    assert (
        "%(unit)s still has %(num)d active member: move them to another unit first.",
        "%(unit)s still has %(num)d active members: move them to another unit first.",
    ) in messages
