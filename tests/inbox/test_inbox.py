"""The to-do inbox: providers registered by orglife and completion, the page and the home page."""

from learnapp.hours.models import HoursCategory
from learnapp.inbox import PROVIDERS, InboxItem, items_for, provider
from learnapp.orglife.claims import submit_claim
from tests.factories import FIXED_NOW
from tests.orglife.factories import PDF
from tests.world import build_world


def _claim(session, app, member):
    with app.test_request_context():
        submit_claim(
            session,
            member,
            category=HoursCategory.EXTERNAL,
            hours="2",
            studied_on=FIXED_NOW.date(),
            description="专题学习",
            filename="a.pdf",
            data=PDF,
            now=FIXED_NOW,
        )
    session.commit()


def test_a_secretary_sees_claims_meetings_and_members_behind(session, auth, app):
    world = build_world(session)
    _claim(session, app, world.member_a)
    auth.login("seca")
    page = auth.client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="inbox-claims"' in page and "/orglife/claims/review" in page
    assert f'data-testid="inbox-meetings-{world.branch_a.id}"' in page
    assert f'data-testid="inbox-behind-{world.branch_a.id}"' in page
    home = auth.client.get("/").get_data(as_text=True)
    assert 'data-testid="home-inbox"' in home and 'data-testid="inbox-claims"' in home


def test_a_member_has_nothing_to_do_and_no_inbox_on_the_home_page(session, auth):
    build_world(session)
    auth.login("memb")
    page = auth.client.get("/inbox")
    assert page.status_code == 200 and 'data-testid="inbox-empty"' in page.get_data(as_text=True)
    assert 'data-testid="home-inbox"' not in auth.client.get("/").get_data(as_text=True)


def test_the_unit_above_sees_claims_of_its_subtree_but_no_per_branch_lines(session, auth, app):
    world = build_world(session)
    _claim(session, app, world.member_b)
    auth.login("gsec")
    page = auth.client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="inbox-claims"' in page
    assert "inbox-meetings-" not in page and "inbox-behind-" not in page


def test_items_put_overdue_first_and_drop_empty_ones(session, app):
    world = build_world(session)

    def sample(_session, _user):
        return [
            InboxItem("later", "later", 1, "/a"),
            InboxItem("empty", "empty", 0, "/b"),
            InboxItem("urgent", "urgent", 2, "/c", overdue=True),
        ]

    provider(sample)
    try:
        with app.test_request_context():
            kinds = [i.kind for i in items_for(session, world.member_b) if i.url in ("/a", "/c")]
            assert kinds == ["urgent", "later"]
            assert "empty" not in [i.kind for i in items_for(session, world.member_b)]
    finally:
        PROVIDERS.remove(sample)
