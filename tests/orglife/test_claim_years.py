"""Which year a claim's approval may credit, and which approved hours a frozen assessment dossier
holds: approval follows the meetings' rule for years (this year or last, never a past year whose
evidence is frozen), and hours approved after the freeze are not part of the evidence, so a
mistaken approval can still be reversed."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.assessments.models import Step
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import reversals_of, year_totals
from learnapp.notifications.models import Notification
from learnapp.orglife.claims import approval_refusal, approve_claim, submit_claim
from learnapp.orglife.corrections import can_reverse, reverse_claim
from learnapp.orglife.models import ClaimState, StudyClaim
from tests.assessments.helpers import new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import PDF, refused
from tests.world import build_world

CENTRALISED = HoursCategory.CENTRALISED
LATER = FIXED_NOW + timedelta(days=1)
DECEMBER = datetime(2025, 12, 20, 2, 0, tzinfo=UTC)
TWO_YEARS_AGO = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)


def _claim(session, member, *, day=date(2026, 3, 1), now=FIXED_NOW):
    return submit_claim(
        session,
        member,
        category=CENTRALISED,
        hours="6",
        studied_on=day,
        description="参加区委党校集中培训",
        filename="证书.pdf",
        data=PDF,
        now=now,
    )


def _freeze(session, world, year=2026, now=FIXED_NOW):
    """Branch A's assessment of `year` reaches the committee at `now`: its dossiers are frozen."""
    period = new_period(session, world, year=year, to=Step.EVALUATION, now=now)
    advance(session, world.secretary_a, period, now, allow_no_ballots=True)
    assert period.step == Step.COMMITTEE


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _nothing_stored(session, claim) -> None:
    assert claim.state == ClaimState.PENDING and claim.ledger_entry_id is None
    assert _count(session, LedgerEntry) == 0
    assert not session.scalar(
        sa.select(Notification).where(Notification.message == "claim_approved")
    )
    assert not session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.claim_approved")
    )


# ---- the services ----


def test_a_claim_approved_after_the_freeze_can_be_reversed(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_a)
    _freeze(session, world)
    assert approval_refusal(session, claim, LATER) is None  # the current year goes on earning
    approve_claim(session, world.secretary_a, claim, LATER)
    assert year_totals(session, world.member_a.id, 2026)[CENTRALISED] == Decimal("6.00")
    assert can_reverse(session, world.secretary_a, claim, LATER)
    reverse_claim(session, world.secretary_a, claim, "误批", LATER + timedelta(hours=1))
    assert claim.state == ClaimState.REVERSED
    assert year_totals(session, world.member_a.id, 2026)[CENTRALISED] == Decimal("0.00")


def test_a_claim_approved_before_the_freeze_stays_in_the_evidence(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_a)
    approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    _freeze(session, world, now=LATER)
    assert not can_reverse(session, world.secretary_a, claim, LATER)
    with refused(None) as error:
        reverse_claim(session, world.secretary_a, claim, "误批", LATER)
    assert "2026 年度已冻结的评议材料" in str(error.value.message)
    assert claim.state == ClaimState.APPROVED
    assert reversals_of(session, [claim.ledger_entry_id]) == {}


def test_last_years_claim_is_approved_while_that_year_is_open(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_a, day=date(2025, 12, 19), now=DECEMBER)
    approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    assert year_totals(session, world.member_a.id, 2025)[CENTRALISED] == Decimal("6.00")


def test_approving_into_a_past_year_whose_evidence_is_frozen_is_refused(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_a, day=date(2025, 12, 19), now=DECEMBER)
    _freeze(session, world, year=2025, now=DECEMBER)
    with force_locale("en"):
        reason = str(approval_refusal(session, claim, FIXED_NOW))
        with refused(None) as error:
            approve_claim(session, world.secretary_a, claim, FIXED_NOW)
        assert str(error.value.message) == reason
    assert "2025" in reason and world.member_a.display_name in reason and "frozen" in reason
    _nothing_stored(session, claim)


def test_approving_study_older_than_last_year_is_refused(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_a, day=date(2024, 11, 19), now=TWO_YEARS_AGO)
    with refused(None) as error:
        approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    assert str(error.value.message).startswith("该申报的学习时间在 2024 年")
    _nothing_stored(session, claim)


def test_a_frozen_year_of_another_branch_does_not_refuse_approval(ctx, session):
    world = build_world(session)
    claim = _claim(session, world.member_b, day=date(2025, 12, 19), now=DECEMBER)
    _freeze(session, world, year=2025, now=DECEMBER)  # branch A's, not member B's
    approve_claim(session, world.general_secretary, claim, FIXED_NOW)
    assert year_totals(session, world.member_b.id, 2025)[CENTRALISED] == Decimal("6.00")


# ---- the claim page ----


def _arrange_refused(session, app):
    """mema's claim of December 2025, in a year frozen before seca (reading English) decides."""
    world = build_world(session)
    world.secretary_a.locale = "en"
    with app.test_request_context():
        claim = _claim(session, world.member_a, day=date(2025, 12, 19), now=DECEMBER)
        _freeze(session, world, year=2025, now=DECEMBER)
    session.commit()
    return world, claim


def test_the_claim_page_says_why_it_cannot_be_approved(session, auth, app):
    world, claim = _arrange_refused(session, app)
    auth.login("seca")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="approval-refused"' in page and 'data-testid="approve-claim"' not in page
    assert "frozen" in page and world.member_a.display_name in page
    assert 'data-testid="reject-claim"' in page  # rejecting stays the way out
    response = auth.post(f"/orglife/claims/{claim.id}/approve")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orglife/claims/{claim.id}"
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "alert-danger" in page and "has been frozen for their assessment" in page
    reload(session)
    _nothing_stored(session, session.get(StudyClaim, claim.id))


def test_members_and_other_branches_still_cannot_approve(session, auth, app):
    _world, claim = _arrange_refused(session, app)
    auth.login("mema")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="approval-refused"' not in page  # the decision is not the member's
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 403
    auth.logout()
    auth.login("memb")
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 403
    reload(session)
    _nothing_stored(session, session.get(StudyClaim, claim.id))


def test_hours_approved_after_the_freeze_show_the_reversal(session, auth, app, clock):
    world = build_world(session)
    with app.test_request_context():
        early = _claim(session, world.member_a)
        approve_claim(session, world.secretary_a, early, FIXED_NOW)
        late = _claim(session, world.member_a, day=date(2026, 3, 2))
        _freeze(session, world, now=FIXED_NOW + timedelta(hours=1))
    session.commit()
    clock.at = LATER
    auth.login("seca")
    assert auth.post(f"/orglife/claims/{late.id}/approve").status_code == 302
    page = auth.client.get(f"/orglife/claims/{late.id}").get_data(as_text=True)
    assert 'data-testid="reverse-claim-form"' in page
    page = auth.client.get(f"/orglife/claims/{early.id}").get_data(as_text=True)
    assert 'data-testid="reverse-claim-form"' not in page
    response = auth.post(f"/orglife/claims/{late.id}/reverse", {"reason": "误批"})
    assert response.status_code == 302
    refused_reversal = auth.post(f"/orglife/claims/{early.id}/reverse", {"reason": "误批"})
    assert refused_reversal.status_code == 400
    assert 'data-testid="form-error"' in refused_reversal.get_data(as_text=True)
    reload(session)
    assert session.get(StudyClaim, late.id).state == ClaimState.REVERSED
    assert session.get(StudyClaim, early.id).state == ClaimState.APPROVED
    assert year_totals(session, world.member_a.id, 2026)[CENTRALISED] == Decimal("6.00")
