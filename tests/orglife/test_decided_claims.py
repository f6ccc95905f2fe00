"""The secretary's list of decided claims: approved, rejected, withdrawn and reversed, newest
decision first, a page at a time, in the secretary's scope only; and each claim's breadcrumb."""

import re
from datetime import date, timedelta

from learnapp.hours.models import HoursCategory
from learnapp.orglife.claim_queries import decided_claim_count, decided_claims
from learnapp.orglife.claims import (
    approve_claim,
    record_on_behalf,
    reject_claim,
    withdraw_claim,
)
from learnapp.orglife.corrections import reverse_claim
from learnapp.orglife.models import ClaimState
from learnapp.orglife.views.claims import CLAIMS_PAGE
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import certified_claim, make_secretary_b
from tests.world import build_world


def _claims(session, app):
    """In branch A: one claim of each state, decided an hour apart; one in branch B."""
    world = build_world(session)
    elderly = make_user(session, unit=world.branch_a, is_elderly_exempt=True)
    hour = timedelta(hours=1)
    with app.test_request_context():
        claims = {
            "pending": certified_claim(session, world.member_a, day=1),
            "approved": certified_claim(session, world.member_a, day=2),
            "rejected": certified_claim(session, world.member_a, day=3),
            "withdrawn": certified_claim(session, world.member_a, day=4),
            "reversed": certified_claim(session, world.member_a, day=5),
            "other": certified_claim(session, world.member_b, day=6),
        }
        approve_claim(session, world.secretary_a, claims["reversed"], FIXED_NOW - 5 * hour)
        approve_claim(session, world.secretary_a, claims["approved"], FIXED_NOW - 4 * hour)
        reject_claim(
            session, world.secretary_a, claims["rejected"], "证明不清", FIXED_NOW - 3 * hour
        )
        withdraw_claim(session, world.member_a, claims["withdrawn"], FIXED_NOW - 2 * hour)
        reverse_claim(session, world.secretary_a, claims["reversed"], "重复", FIXED_NOW)
        approve_claim(session, world.general_secretary, claims["other"], FIXED_NOW - hour)
        claims["on_behalf"] = record_on_behalf(
            session,
            world.secretary_a,
            elderly,
            category=HoursCategory.COLLECTIVE,
            hours="2",
            studied_on=date(2026, 3, 7),
            description="上门送学",
            now=FIXED_NOW,
        )
    session.commit()
    return world, claims


def test_decided_claims_are_listed_newest_first_by_state_within_scope(session, app):
    world, claims = _claims(session, app)
    listed = decided_claims(session, world.secretary_a, None, limit=10)
    assert [c.id for c in listed] == [
        claims[name].id for name in ("withdrawn", "rejected", "approved", "reversed")
    ]
    for name in ("approved", "rejected", "withdrawn", "reversed"):
        state = ClaimState(name)
        assert [c.id for c in decided_claims(session, world.secretary_a, state, limit=10)] == [
            claims[name].id
        ]
    # The unit above sees both branches; the member's own claims are never in their list.
    assert decided_claim_count(session, world.general_secretary, None) == 5
    assert decided_claim_count(session, world.member_a, None) == 0


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="claim-(\d+)"', page)]


def test_the_decided_tab_lists_and_filters(session, auth, app):
    _world, claims = _claims(session, app)
    auth.login("seca")
    review = auth.client.get("/orglife/claims/review").get_data(as_text=True)
    assert 'href="/orglife/claims/review/decided"' in review
    assert _ids(review) == [claims["pending"].id]
    page = auth.client.get("/orglife/claims/review/decided").get_data(as_text=True)
    assert _ids(page) == [
        claims[name].id for name in ("withdrawn", "rejected", "approved", "reversed")
    ]
    rejected = auth.client.get("/orglife/claims/review/decided?state=rejected")
    assert _ids(rejected.get_data(as_text=True)) == [claims["rejected"].id]
    assert auth.client.get("/orglife/claims/review/decided?state=pending").status_code == 400
    assert auth.client.get("/orglife/claims/review/decided?state=x").status_code == 400
    assert auth.client.get("/orglife/claims/review/decided?page=x").status_code == 400


def test_the_decided_list_is_paginated(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        for number in range(CLAIMS_PAGE + 2):
            claim = certified_claim(session, world.member_a, day=1 + number % 9)
            reject_claim(
                session,
                world.secretary_a,
                claim,
                "证明不清",
                FIXED_NOW - timedelta(minutes=number),
            )
    session.commit()
    auth.login("seca")
    first = auth.client.get("/orglife/claims/review/decided").get_data(as_text=True)
    second = auth.client.get("/orglife/claims/review/decided?page=2").get_data(as_text=True)
    assert len(_ids(first)) == CLAIMS_PAGE and len(_ids(second)) == 2
    assert not set(_ids(first)) & set(_ids(second))
    assert 'href="/orglife/claims/review/decided?page=2"' in first


def test_the_decided_list_is_refused_to_members_and_scoped_for_secretaries(session, auth, app):
    world, claims = _claims(session, app)
    make_secretary_b(session, world)
    session.commit()
    auth.login("mema")
    assert auth.client.get("/orglife/claims/review/decided").status_code == 403
    auth.logout()
    auth.login("secb")
    page = auth.client.get("/orglife/claims/review/decided").get_data(as_text=True)
    assert _ids(page) == [claims["other"].id]


def _breadcrumb(page: str) -> str:
    return re.search(r'<ol class="breadcrumb">(.*?)</ol>', page, re.S).group(1)


def test_each_claim_page_leads_back_to_where_it_is_listed(session, auth, app):
    world, claims = _claims(session, app)
    auth.login("seca")
    crumbs = {
        name: _breadcrumb(auth.client.get(f"/orglife/claims/{claims[name].id}").get_data(True))
        for name in ("pending", "approved", "rejected", "withdrawn", "reversed", "on_behalf")
    }
    assert 'href="/orglife/claims/review"' in crumbs["pending"]
    for name in ("approved", "rejected", "withdrawn", "reversed"):
        assert 'href="/orglife/claims/review/decided"' in crumbs[name], name
    assert f'href="/orglife/units/{world.branch_a.id}/on-behalf"' in crumbs["on_behalf"]
    auth.logout()
    auth.login("mema")
    own = auth.client.get(f"/orglife/claims/{claims['approved'].id}").get_data(as_text=True)
    assert 'href="/orglife/claims"' in _breadcrumb(own)
