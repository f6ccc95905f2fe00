from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.hours.models import HoursCategory
from learnapp.hours.queries import year_totals
from learnapp.notifications.messages import render
from learnapp.notifications.models import Notification
from learnapp.orglife.claims import approve_claim, record_on_behalf, reject_claim, submit_claim
from learnapp.orglife.models import ClaimState
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import PDF, PNG, refused
from tests.world import build_world


def _submit(session, member, **overrides):
    values = {
        "category": HoursCategory.EXTERNAL,
        "hours": "3",
        "studied_on": date(2026, 3, 1),
        "description": "参加区委党校专题培训",
        "filename": "../../结业证书.pdf",
        "data": PDF,
        "now": FIXED_NOW,
    }
    values.update(overrides)
    return submit_claim(session, member, **values)


def test_a_claim_keeps_a_clean_chinese_display_name(session, ctx):
    world = build_world(session)
    claim = _submit(session, world.member_a)
    assert claim.state == ClaimState.PENDING
    assert claim.evidence_display_name == "结业证书.pdf"
    assert claim.evidence_name.isalnum() and "结业" not in claim.evidence_name


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": "-1"}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "100000"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": "1.234"}, "hours"),
        ({"studied_on": date(2026, 3, 11)}, "studied_on"),  # tomorrow in Shanghai
        ({"studied_on": date(2025, 12, 31)}, "studied_on"),  # last year
        ({"data": b"MZ\x90\x00 not a pdf", "filename": "证书.pdf"}, "evidence"),  # disguised
        ({"data": b"<html>%PDF-", "filename": "x.pdf"}, "evidence"),
        ({"data": PDF + b"0" * (5 * 1024 * 1024), "filename": "big.pdf"}, "evidence"),
        ({"data": b""}, "evidence"),
        ({"description": "  "}, "description"),
        ({"description": "学习\x00记录"}, "description"),  # PostgreSQL refuses NUL
        ({"hours": "sNaN"}, "hours"),
        ({"hours": "Infinity"}, "hours"),
    ],
)
def test_bad_claims_are_refused(session, ctx, overrides, field):
    world = build_world(session)
    with refused(field):
        _submit(session, world.member_a, **overrides)


def test_a_secretary_cannot_approve_their_own_claim_nor_one_outside_scope(session, ctx):
    world = build_world(session)
    own = _submit(session, world.secretary_a, data=PNG, filename="a.png")
    with refused(None):
        approve_claim(session, world.secretary_a, own, FIXED_NOW)
    other = _submit(session, world.member_b)
    with refused(None):
        approve_claim(session, world.secretary_a, other, FIXED_NOW)
    with refused("reason"):
        reject_claim(session, world.secretary_a, _submit(session, world.member_a), " ", FIXED_NOW)


def test_approval_credits_the_claimed_category_once(session, ctx):
    world = build_world(session)
    claim = _submit(session, world.member_a, hours="2.5")
    approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    assert claim.state == ClaimState.APPROVED
    assert year_totals(session, world.member_a.id, 2026)[HoursCategory.EXTERNAL] == Decimal("2.50")
    with refused(None):  # already decided
        approve_claim(session, world.secretary_a, claim, FIXED_NOW)


def test_study_recorded_on_behalf_of_an_elderly_member_is_marked(session, ctx):
    world = build_world(session)
    elderly = make_user(session, unit=world.branch_a, is_elderly_exempt=True, is_retired=True)
    claim = record_on_behalf(
        session,
        world.secretary_a,
        elderly,
        category=HoursCategory.COLLECTIVE,
        hours="2",
        studied_on=date(2026, 3, 2),
        description="上门学习党章",
        now=FIXED_NOW,
    )
    assert claim.is_on_behalf and claim.state == ClaimState.APPROVED
    assert year_totals(session, elderly.id, 2026)[HoursCategory.COLLECTIVE] == Decimal("2.00")
    with refused(None):  # not for members who are neither elderly nor retired
        record_on_behalf(
            session,
            world.secretary_a,
            world.member_a,
            category=HoursCategory.COLLECTIVE,
            hours="2",
            studied_on=date(2026, 3, 2),
            description="x",
            now=FIXED_NOW,
        )


def test_the_member_is_notified_of_the_decision(session, ctx):
    world = build_world(session)
    approved = _submit(session, world.member_a)
    approve_claim(session, world.secretary_a, approved, FIXED_NOW)
    rejected = _submit(session, world.member_a, studied_on=date(2026, 3, 2))
    reject_claim(session, world.secretary_a, rejected, "证明不清晰", FIXED_NOW)
    sent = session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == world.member_a.id)
        .order_by(Notification.id)
    ).all()
    assert [n.link for n in sent] == [
        f"/orglife/claims/{approved.id}",
        f"/orglife/claims/{rejected.id}",
    ]
    assert render(sent[1]).body == "证明不清晰"
    # Hours read as the ledger shows them, with two places, however they were entered.
    assert "3.00" in render(sent[0]).title and "3.00" in render(sent[1]).title
