"""A secretary reverses an approved claim or study recorded on behalf (送学上门) entered in
error: a reversing ledger entry, audited and notified, within the same scope and open years as
the other corrections; and the plausibility limits of both forms."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.assessments.models import Step
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry
from learnapp.hours.queries import reversals_of, year_totals
from learnapp.notifications.models import Notification
from learnapp.orglife.claims import (
    approve_claim,
    record_on_behalf,
    reject_claim,
    submit_claim,
    withdraw_claim,
)
from learnapp.orglife.corrections import can_reverse, reverse_claim
from learnapp.orglife.models import ClaimState, StudyClaim
from learnapp.orgs.models import Role
from tests.assessments.helpers import new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.notifications.helpers import notices_of, rendered
from tests.orglife.factories import PDF, make_secretary_b, refused
from tests.world import build_world

LAST_YEAR = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)
TWO_YEARS_AGO = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
EXTERNAL, COLLECTIVE = HoursCategory.EXTERNAL, HoursCategory.COLLECTIVE


def _claim(session, member, *, hours="3", day=date(2026, 3, 1), now=FIXED_NOW):
    return submit_claim(
        session,
        member,
        category=EXTERNAL,
        hours=hours,
        studied_on=day,
        description="参加区委党校专题培训",
        filename="证书.pdf",
        data=PDF,
        now=now,
    )


def _approved(session, world, **kwargs):
    claim = _claim(session, world.member_a, **kwargs)
    approve_claim(session, world.secretary_a, claim, kwargs.get("now", FIXED_NOW))
    return claim


def _elderly(session, world):
    return make_user(
        session, username="old", display_name="廖国", unit=world.branch_a, is_elderly_exempt=True
    )


def _on_behalf(session, world, member, hours="2"):
    return record_on_behalf(
        session,
        world.secretary_a,
        member,
        category=COLLECTIVE,
        hours=hours,
        studied_on=date(2026, 3, 2),
        description="上门学习党章",
        now=FIXED_NOW,
    )


# ---- the service ----


def test_reversing_an_approved_claim_appends_a_reversal_and_the_total_drops(ctx, session):
    world = build_world(session)
    claim = _approved(session, world, hours="2.5")
    reversal = reverse_claim(session, world.secretary_a, claim, " 证书不属实 ", FIXED_NOW)
    assert claim.state == ClaimState.REVERSED
    assert reversal.status == EntryStatus.REVERSAL and reversal.reverses_id == claim.ledger_entry_id
    assert reversal.hours == Decimal("-2.50") and reversal.note == "证书不属实"
    assert reversal.approver_id == world.secretary_a.id
    assert year_totals(session, world.member_a.id, 2026)[EXTERNAL] == Decimal("0.00")
    # The credit stays in the ledger, cancelled.
    original = session.get(LedgerEntry, claim.ledger_entry_id)
    assert original.hours == Decimal("2.50") and original.status == EntryStatus.CREDITED
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.claim_reversed")
    ).one()
    assert audit.actor_id == world.secretary_a.id and audit.target_id == str(claim.id)
    assert audit.after["reason"] == "证书不属实" and audit.after["reversal_id"] == reversal.id


def test_the_member_is_told_of_the_reversal_with_the_reason(ctx, session):
    world = build_world(session)
    claim = _approved(session, world)
    reverse_claim(session, world.secretary_a, claim, "重复申报", FIXED_NOW)
    notice = notices_of(session, world.member_a)[-1]
    assert notice.message == "claim_reversed" and notice.link == f"/orglife/claims/{claim.id}"
    assert notice.params == {
        "hours": "3.00",
        "day": "2026-03-01",
        "claim": claim.id,
        "reason": "重复申报",
    }
    english = rendered(notice, "en")
    assert "3.00" in english.title and "2026-03-01" in english.title
    assert english.body == "重复申报"


def test_study_recorded_on_behalf_is_reversed_by_the_secretary(ctx, session):
    world = build_world(session)
    elderly = _elderly(session, world)
    claim = _on_behalf(session, world, elderly)
    assert can_reverse(session, world.secretary_a, claim, FIXED_NOW)
    assert can_reverse(session, world.general_secretary, claim, FIXED_NOW)  # the unit above
    reverse_claim(session, world.general_secretary, claim, "录错了人", FIXED_NOW)
    assert claim.state == ClaimState.REVERSED
    assert year_totals(session, elderly.id, 2026)[COLLECTIVE] == Decimal("0.00")
    assert notices_of(session, elderly)[-1].message == "claim_reversed"


def test_a_claim_is_reversed_once(ctx, session):
    world = build_world(session)
    claim = _approved(session, world)
    reverse_claim(session, world.secretary_a, claim, "重复", FIXED_NOW)
    assert not can_reverse(session, world.secretary_a, claim, FIXED_NOW)
    with refused(None):
        reverse_claim(session, world.secretary_a, claim, "再次", FIXED_NOW)
    assert year_totals(session, world.member_a.id, 2026)[EXTERNAL] == Decimal("0.00")


def test_only_approved_claims_are_reversed(ctx, session):
    world = build_world(session)
    pending = _claim(session, world.member_a)
    rejected = _claim(session, world.member_a, day=date(2026, 3, 2))
    reject_claim(session, world.secretary_a, rejected, "证明不清", FIXED_NOW)
    withdrawn = _claim(session, world.member_a, day=date(2026, 3, 3))
    withdraw_claim(session, world.member_a, withdrawn, FIXED_NOW)
    for claim in (pending, rejected, withdrawn):
        with refused(None):
            reverse_claim(session, world.secretary_a, claim, "撤销", FIXED_NOW)
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_nobody_outside_the_scope_nor_the_member_reverses(ctx, session):
    world = build_world(session)
    claim = _approved(session, world)
    secretary_b = make_user(session, unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),))
    for actor in (secretary_b, world.member_a, world.member_b):
        assert not can_reverse(session, actor, claim, FIXED_NOW)
        with refused(None):
            reverse_claim(session, actor, claim, "撤销", FIXED_NOW)
    own = _claim(session, world.secretary_a, day=date(2026, 3, 4))
    approve_claim(session, world.general_secretary, own, FIXED_NOW)
    with refused(None):  # a secretary never reverses their own hours
        reverse_claim(session, world.secretary_a, own, "撤销", FIXED_NOW)
    assert reversals_of(session, [claim.ledger_entry_id, own.ledger_entry_id]) == {}


def test_a_reason_is_required_and_plain_text(ctx, session):
    world = build_world(session)
    claim = _approved(session, world)
    for reason in ("", "   ", "录\x00错"):
        with refused("reason"):
            reverse_claim(session, world.secretary_a, claim, reason, FIXED_NOW)
    assert claim.state == ClaimState.APPROVED
    assert reversals_of(session, [claim.ledger_entry_id]) == {}


def test_last_years_hours_stay_open_and_older_ones_are_closed(ctx, session):
    world = build_world(session)
    december = _approved(session, world, day=date(2025, 11, 19), now=LAST_YEAR)
    older = _approved(session, world, day=date(2024, 11, 19), now=TWO_YEARS_AGO)
    assert can_reverse(session, world.secretary_a, december, FIXED_NOW)
    assert not can_reverse(session, world.secretary_a, older, FIXED_NOW)
    with refused(None) as error:
        reverse_claim(session, world.secretary_a, older, "撤销", FIXED_NOW)
    assert "只能撤销今年和去年的学时：2024 年已关闭" in str(error.value.message)
    assert older.state == ClaimState.APPROVED
    reverse_claim(session, world.secretary_a, december, "撤销", FIXED_NOW)
    assert set(reversals_of(session, [december.ledger_entry_id])) == {december.ledger_entry_id}


def test_a_frozen_assessment_dossier_closes_the_year(ctx, session):
    world = build_world(session)
    claim = _approved(session, world)
    other = _claim(session, world.member_b, day=date(2026, 3, 2))
    approve_claim(session, world.general_secretary, other, FIXED_NOW)
    period = new_period(session, world, to=Step.EVALUATION)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    assert period.step == Step.COMMITTEE  # branch A's dossiers are frozen
    with refused(None):
        reverse_claim(session, world.secretary_a, claim, "撤销", FIXED_NOW)
    # Branch B has no frozen dossier: its member's year stays open.
    reverse_claim(session, world.general_secretary, other, "撤销", FIXED_NOW)
    assert set(reversals_of(session, [claim.ledger_entry_id, other.ledger_entry_id])) == {
        other.ledger_entry_id
    }


# ---- plausibility: quarter hours, and one visit on behalf is at most a full day ----


@pytest.mark.parametrize("hours", ["0.3", "0.1", "0", "8.25", "100", "1.2"])
def test_study_on_behalf_is_quarter_hours_up_to_a_full_day(ctx, session, hours):
    world = build_world(session)
    elderly = _elderly(session, world)
    with refused("hours"):
        _on_behalf(session, world, elderly, hours=hours)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0


@pytest.mark.parametrize("hours", ["0.25", "4", "7.75", "8"])
def test_a_full_day_or_less_is_recorded_on_behalf(ctx, session, hours):
    world = build_world(session)
    elderly = _elderly(session, world)
    assert _on_behalf(session, world, elderly, hours=hours).hours == Decimal(hours)


@pytest.mark.parametrize("hours", ["0.3", "0.01", "0.2", "100.25", "2.6"])
def test_claims_are_quarter_hours_up_to_100(ctx, session, hours):
    world = build_world(session)
    with refused("hours"):
        _claim(session, world.member_a, hours=hours)


@pytest.mark.parametrize("hours", ["0.25", "12.5", "100"])
def test_claims_of_quarter_hours_are_accepted(ctx, session, hours):
    world = build_world(session)
    assert _claim(session, world.member_a, hours=hours).hours == Decimal(hours)


# ---- the routes ----


def _commit_approved(session, app, world):
    with app.test_request_context():
        claim = _approved(session, world)
    session.commit()
    return claim


def test_the_secretary_reverses_from_the_claim_page(session, auth, app):
    world = build_world(session)
    claim = _commit_approved(session, app, world)
    auth.login("seca")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="reverse-claim-form"' in page
    response = auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": "证书不属实"})
    assert response.status_code == 302
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.REVERSED
    assert year_totals(session, world.member_a.id, 2026)[EXTERNAL] == Decimal("0.00")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="claim-reversal"' in page and "证书不属实" in page
    assert 'data-testid="reverse-claim-form"' not in page
    auth.logout()
    # The member sees it on the claim, in their claims and cancelled in My study.
    auth.login("mema")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="claim-reversal"' in page and 'data-testid="reverse-claim' not in page
    mine = auth.client.get("/orglife/claims").get_data(as_text=True)
    assert "text-bg-danger" in mine
    study = auth.client.get("/study/me").get_data(as_text=True)
    assert 'data-testid="ledger-entry-cancelled"' in study and "证书不属实" in study
    assert f'href="/orglife/claims/{claim.id}"' in study


def test_a_reversal_without_reason_is_refused_and_stores_nothing(session, auth, app):
    world = build_world(session)
    claim = _commit_approved(session, app, world)
    auth.login("seca")
    for reason in ("", "  ", "x" * 201):
        response = auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": reason})
        assert response.status_code == 400, reason
        assert "invalid-feedback" in response.get_data(as_text=True)
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.APPROVED
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1


def test_reversal_is_refused_to_members_and_other_branches(session, auth, app):
    world = build_world(session)
    claim = _commit_approved(session, app, world)
    make_secretary_b(session, world)
    session.commit()
    auth.login("mema")  # the member: not a manager
    assert auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": "x"}).status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": "x"}).status_code == 404
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.APPROVED
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1  # approval


def test_reversing_twice_says_why(session, auth, app):
    world = build_world(session)
    claim = _commit_approved(session, app, world)
    auth.login("seca")
    assert auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": "重复"}).status_code == 302
    response = auth.post(f"/orglife/claims/{claim.id}/reverse", {"reason": "再次"})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.get_data(as_text=True)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 2


def test_the_on_behalf_form_refuses_more_than_a_full_day_and_keeps_the_input(session, auth):
    world = build_world(session)
    elderly = _elderly(session, world)
    session.commit()
    auth.login("seca")
    url = f"/orglife/units/{world.branch_a.id}/on-behalf"
    page = auth.client.get(url).get_data(as_text=True)
    assert 'step="0.25"' in page and 'min="0.25"' in page and 'max="8"' in page
    for hours in ("100", "0.3"):
        response = auth.post(
            url,
            {
                "member_id": str(elderly.id),
                "category": "collective",
                "hours": hours,
                "studied_on": "2026-03-09",
                "description": "上门送学",
            },
        )
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "invalid-feedback" in page and f'value="{hours}"' in page and "上门送学" in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0


def test_the_claim_form_refuses_hours_that_are_not_quarter_hours(session, auth):
    build_world(session)
    auth.login("mema")
    page = auth.client.get("/orglife/claims").get_data(as_text=True)
    assert 'step="0.25"' in page and 'min="0.25"' in page and 'max="100"' in page
    response = auth.post(
        "/orglife/claims/new",
        {
            "category": "external",
            "hours": "0.3",
            "studied_on": "2026-03-09",
            "description": "专题讲座",
            "evidence": (io.BytesIO(PDF), "证书.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "invalid-feedback" in page and 'value="0.3"' in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0
