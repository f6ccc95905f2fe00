"""A member moved to another branch takes their pending study claims along: the managers of the
unit they now belong to decide on them; those of the unit they left no longer see them. Decided
claims stay with the unit that decided them."""

import re

import sqlalchemy as sa

from learnapp.hours.models import LedgerEntry
from learnapp.orglife.claims import approve_claim
from learnapp.orglife.models import ClaimState, StudyClaim
from learnapp.orgs.services import move_member
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import certified_claim, make_secretary_b
from tests.world import build_world


def _moved_with_claims(session, app):
    """member_a (甲支部's 第一党小组) with a pending and an approved claim, then moved by the
    general branch's secretary to 乙支部, which has a secretary of its own."""
    world = build_world(session)
    make_secretary_b(session, world)
    with app.test_request_context():
        pending = certified_claim(session, world.member_a, day=1, hours="3")
        approved = certified_claim(session, world.member_a, day=2, hours="3")
        approve_claim(session, world.secretary_a, approved, FIXED_NOW)
        move_member(
            session,
            world.general_secretary,
            world.member_a,
            world.branch_b,
            reason="工作调动",
            now=FIXED_NOW,
        )
    session.commit()
    return world, pending, approved


def _listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="claim-(\d+)"', page)]


def test_pending_claims_follow_the_member_and_decided_ones_stay(session, app):
    world, pending, approved = _moved_with_claims(session, app)
    reload(session)
    assert session.get(StudyClaim, pending.id).deciding_unit.id == world.branch_b.id
    assert session.get(StudyClaim, approved.id).deciding_unit.id == world.group_a.id


def test_the_branch_left_no_longer_sees_or_decides_the_pending_claim(session, auth, app):
    _world, pending, _approved = _moved_with_claims(session, app)
    auth.login("seca")
    assert _listed(auth.client.get("/orglife/claims/review").get_data(as_text=True)) == []
    assert auth.client.get(f"/orglife/claims/{pending.id}").status_code == 404
    assert auth.client.get(f"/orglife/claims/{pending.id}/evidence").status_code == 404
    assert auth.post(f"/orglife/claims/{pending.id}/approve").status_code == 404
    reload(session)
    assert session.get(StudyClaim, pending.id).state == ClaimState.PENDING
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1


def test_the_new_branch_decides_the_pending_claim(session, auth, app):
    world, pending, _approved = _moved_with_claims(session, app)
    auth.login("secb")
    assert _listed(auth.client.get("/orglife/claims/review").get_data(as_text=True)) == [pending.id]
    assert auth.post(f"/orglife/claims/{pending.id}/approve").status_code == 302
    reload(session)
    claim = session.get(StudyClaim, pending.id)
    assert claim.state == ClaimState.APPROVED
    entry = session.get(LedgerEntry, claim.ledger_entry_id)
    assert (entry.member_id, entry.hours) == (world.member_a.id, 3)
    # Decided, the claim stays with the unit that decided it.
    assert claim.unit_id == world.branch_b.id
