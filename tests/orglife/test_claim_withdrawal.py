"""A member withdraws a pending study claim: the service, the route for each role, and the race
of a withdrawal against an approval (each in its own transaction, SQLite file and PostgreSQL)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import year_totals
from learnapp.inbox import items_for
from learnapp.orglife.claim_queries import claims_of_member, pending_claim_count, pending_claims
from learnapp.orglife.claims import (
    approve_claim,
    can_withdraw,
    reject_claim,
    submit_claim,
    withdraw_claim,
)
from learnapp.orglife.models import ClaimState, StudyClaim
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import PDF, refused
from tests.world import build_world


def _submit(session, member, hours="3"):
    return submit_claim(
        session,
        member,
        category=HoursCategory.EXTERNAL,
        hours=hours,
        studied_on=date(2026, 3, 1),
        description="参加区委党校专题培训",
        filename="证书.pdf",
        data=PDF,
        now=FIXED_NOW,
    )


def _pending(session, app, member):
    with app.test_request_context():
        claim = _submit(session, member)
    session.commit()
    return claim


# ---- the service ----


def test_a_withdrawn_claim_leaves_the_queue_and_stays_in_the_members_list(ctx, session):
    world = build_world(session)
    claim = _submit(session, world.member_a)
    assert pending_claim_count(session, world.secretary_a) == 1
    assert can_withdraw(world.member_a, claim)
    withdraw_claim(session, world.member_a, claim, FIXED_NOW)
    assert claim.state == ClaimState.WITHDRAWN and not can_withdraw(world.member_a, claim)
    assert claim.decided_by_id == world.member_a.id and claim.decided_at == FIXED_NOW
    assert pending_claims(session, world.secretary_a) == []
    assert pending_claim_count(session, world.general_secretary) == 0
    assert "claims" not in {item.kind for item in items_for(session, world.secretary_a)}
    assert claims_of_member(session, world.member_a.id) == [claim]
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.claim_withdrawn")
    ).one()
    assert audit.actor_id == world.member_a.id and audit.target_id == str(claim.id)


def test_a_withdrawn_claim_is_never_decided_and_never_credits(ctx, session):
    world = build_world(session)
    claim = _submit(session, world.member_a)
    withdraw_claim(session, world.member_a, claim, FIXED_NOW)
    with refused(None):
        approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    with refused(None):
        reject_claim(session, world.secretary_a, claim, "证明不清晰", FIXED_NOW)
    with refused(None):  # twice
        withdraw_claim(session, world.member_a, claim, FIXED_NOW)
    assert claim.state == ClaimState.WITHDRAWN and claim.ledger_entry_id is None
    assert year_totals(session, world.member_a.id, 2026)[HoursCategory.EXTERNAL] == Decimal("0")


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_a_decided_claim_cannot_be_withdrawn(ctx, session, decide):
    world = build_world(session)
    claim = _submit(session, world.member_a)
    if decide == "approve":
        approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    else:
        reject_claim(session, world.secretary_a, claim, "证明不清晰", FIXED_NOW)
    state = claim.state
    assert not can_withdraw(world.member_a, claim)
    with refused(None):
        withdraw_claim(session, world.member_a, claim, FIXED_NOW)
    assert claim.state == state and claim.decided_by_id == world.secretary_a.id


def test_only_the_claimant_withdraws(ctx, session):
    world = build_world(session)
    claim = _submit(session, world.member_a)
    for other in (world.secretary_a, world.general_secretary, world.admin, world.member_b):
        assert not can_withdraw(other, claim)
        with refused(None):
            withdraw_claim(session, other, claim, FIXED_NOW)
    assert claim.state == ClaimState.PENDING


# ---- the route ----


def _english(session, member):
    """Messages are checked in English: the catalogue's Chinese is not the test's business."""
    member.locale = "en"
    session.commit()


def test_the_member_withdraws_from_the_claim_page(session, auth, app):
    world = build_world(session)
    _english(session, world.member_a)
    claim = _pending(session, app, world.member_a)
    auth.login("mema")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="withdraw-claim"' in page and "data-confirm=" in page
    response = auth.post(f"/orglife/claims/{claim.id}/withdraw")
    assert response.status_code == 302 and response.headers["Location"] == "/orglife/claims"
    listing = auth.client.get("/orglife/claims").get_data(as_text=True)
    assert "alert-success" in listing and "Claim withdrawn" in listing
    assert 'data-testid="pending-claim"' not in auth.client.get("/study/me").get_data(as_text=True)
    detail = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="withdraw-claim"' not in detail
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.WITHDRAWN
    auth.logout()
    auth.login("seca")
    review = auth.client.get("/orglife/claims/review").get_data(as_text=True)
    assert f"/orglife/claims/{claim.id}" not in review
    assert 'data-testid="inbox-claims"' not in auth.client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="approve-claim"' not in auth.client.get(
        f"/orglife/claims/{claim.id}"
    ).get_data(as_text=True)


def test_nobody_else_withdraws_a_claim(session, auth, app):
    world = build_world(session)
    claim = _pending(session, app, world.member_a)
    url = f"/orglife/claims/{claim.id}/withdraw"
    anonymous = auth.client.post(url, data={"csrf_token": auth.csrf("/login")})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for username, status in (("memb", 404), ("seca", 403), ("gsec", 403), ("admin", 403)):
        auth.login(username)
        assert auth.post(url).status_code == status, username
        if username == "seca":
            page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
            assert 'data-testid="withdraw-claim"' not in page
        auth.logout()
    auth.login("mema")
    assert auth.client.post(url).status_code == 400  # no CSRF token
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.PENDING
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "orglife.claim_withdrawn")
        )
        == 0
    )


def test_withdrawing_a_decided_or_withdrawn_claim_says_why(session, auth, app):
    world = build_world(session)
    approved = _pending(session, app, world.member_a)
    withdrawn = _pending(session, app, world.member_a)
    with app.test_request_context():
        approve_claim(session, world.secretary_a, approved, FIXED_NOW)
        withdraw_claim(session, world.member_a, withdrawn, FIXED_NOW)
    _english(session, world.member_a)
    auth.login("mema")
    for claim, message in (
        (approved, "This claim has already been decided."),
        (withdrawn, "This claim has been withdrawn."),
    ):
        response = auth.post(f"/orglife/claims/{claim.id}/withdraw")
        assert response.headers["Location"] == f"/orglife/claims/{claim.id}"
        page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page and "alert-danger" in page
    reload(session)
    assert session.get(StudyClaim, approved.id).state == ClaimState.APPROVED
    assert year_totals(session, world.member_a.id, 2026)[HoursCategory.EXTERNAL] == Decimal("3")


# ---- the race ----

ROUNDS = 6


def _race(app, claim_id: int, actions) -> list[str]:
    """Run each action on the claim in its own thread and transaction, all at once; the names
    of those that went through."""
    barrier = threading.Barrier(len(actions))
    done: list[str] = []

    def run(name, actor_id, action) -> None:
        with app.test_request_context():
            db_session = app.extensions["learnapp.db"].sessionmaker()
            try:
                barrier.wait()
                claim = db_session.get(StudyClaim, claim_id)
                actor = db_session.get(User, actor_id)
                action(db_session, actor, claim, FIXED_NOW)
                db_session.commit()
                done.append(name)
            except DomainError:
                db_session.rollback()
            finally:
                db_session.close()

    threads = [threading.Thread(target=run, args=action) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return done


def test_a_withdrawal_racing_an_approval_ends_in_exactly_one_outcome(app, session):
    world = build_world(session)
    for _round in range(ROUNDS):
        claim = _pending(session, app, world.member_a)
        done = _race(
            app,
            claim.id,
            [
                ("withdraw", world.member_a.id, withdraw_claim),
                ("approve", world.secretary_a.id, approve_claim),
                ("approve", world.general_secretary.id, approve_claim),
            ],
        )
        reload(session)
        stored = session.get(StudyClaim, claim.id)
        entries = session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.source_id == str(claim.id))
        )
        assert len(done) == 1, done
        if done == ["withdraw"]:
            assert stored.state == ClaimState.WITHDRAWN and entries == 0
        else:
            assert stored.state == ClaimState.APPROVED and entries == 1
