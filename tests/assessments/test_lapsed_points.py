"""积分 items still undecided when the evaluation closes lapse: the person closing it is shown
them and confirms, the schedule's own close needs no one; each lapse is logged, its proposer
told, and the points page and the dossier show it as not counted."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.assessments.models import (
    AssessmentPeriod,
    Dossier,
    PointItem,
    PointKind,
    PointState,
    Step,
)
from learnapp.assessments.points import decide_points, propose_points
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.notifications.messages import render
from learnapp.notifications.models import Notification
from tests.assessments.helpers import assessment_world, new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import refused

NOW = FIXED_NOW


def _propose(session, actor, period, member, points=8, kind=PointKind.BONUS):
    return propose_points(
        session,
        actor,
        period,
        member_id=member.id,
        kind=kind,
        points=Decimal(points),
        reason=f"理由{member.username}",
        evidence_text="证明材料",
        now=NOW,
    )


def _items(session, world, extras, period):
    """The tester's item (the admin's +8 for the secretary, which neither can decide), a member's
    own claim, the secretary's deduction, and one item decided in time."""
    return {
        "admin": _propose(session, world.admin, period, world.secretary_a),
        "claim": _propose(session, extras[0], period, extras[0], points=3),
        "deduction": _propose(
            session, world.secretary_a, period, extras[2], 2, PointKind.DEDUCTION
        ),
        "decided": _propose(session, world.secretary_a, period, extras[1], 2, PointKind.DEDUCTION),
    }


def _lapse_notices(session, user_id) -> list[Notification]:
    return list(
        session.scalars(
            sa.select(Notification).where(
                Notification.user_id == user_id,
                Notification.message == "assessment_points_lapsed",
            )
        )
    )


@pytest.fixture
def evaluation(app, session):
    """Branch A at the evaluation with the four items; only "decided" was decided."""
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        items = _items(session, world, extras, period)
        decide_points(session, world.general_secretary, items["decided"], True, NOW)
        # Undecided items stay open while they can still be decided.
        while period.step != Step.EVALUATION:
            advance(session, world.secretary_a, period, NOW)
        session.commit()
        return world, period.id, {name: item.id for name, item in items.items()}


def _state(session, item_id) -> PointState:
    return session.get(PointItem, item_id).state


def test_undecided_items_stay_open_until_the_evaluation(app, session, evaluation):
    _world, _period_id, ids = evaluation
    assert {name: _state(session, i) for name, i in ids.items()} == {
        "admin": PointState.PENDING,
        "claim": PointState.PENDING,
        "deduction": PointState.PENDING,
        "decided": PointState.APPROVED,
    }


def test_closing_the_evaluation_by_hand_needs_the_lapse_confirmed(app, session, evaluation):
    world, period_id, ids = evaluation
    pending = {ids["admin"], ids["claim"], ids["deduction"]}
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        with refused("confirm_lapse"):
            advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
        # An item proposed since the page was read is not confirmed with the others.
        with refused("confirm_lapse"):
            advance(
                session,
                world.secretary_a,
                period,
                NOW,
                allow_no_ballots=True,
                confirmed_lapse=pending - {ids["claim"]},
            )
        assert period.step == Step.EVALUATION
        assert all(_state(session, i) == PointState.PENDING for i in pending)
        step = advance(
            session, world.secretary_a, period, NOW, allow_no_ballots=True, confirmed_lapse=pending
        )
        assert step == Step.COMMITTEE
        session.expire_all()
        for item_id in pending:
            item = session.get(PointItem, item_id)
            assert (item.state, item.decided_at, item.decided_by_id) == (
                PointState.LAPSED,
                NOW,
                None,
            )
        assert _state(session, ids["decided"]) == PointState.APPROVED
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "assessment.points_lapse")
        ).all()
        assert {int(e.target_id) for e in entries} == pending
        assert {e.actor_id for e in entries} == {world.secretary_a.id}
        tester = next(e for e in entries if int(e.target_id) == ids["admin"])
        assert tester.before == {"state": "pending"}
        assert tester.after == {"state": "lapsed", "points": "8.00", "kind": "bonus"}
        # The proposers are told, except the secretary, who confirmed it.
        (told,) = _lapse_notices(session, world.admin.id)
        assert told.params == {"count": 1, "year": 2026, "period": period_id}
        assert told.link == f"/assessments/periods/{period_id}/points"
        with force_locale("en"):
            assert "lapsed" in render(told).title and "2026" in render(told).title
        assert len(_lapse_notices(session, world.extras[0].id)) == 1
        assert _lapse_notices(session, world.secretary_a.id) == []
        # Nothing lapsed is counted: only the deduction decided in time.
        dossiers = {
            d.member_id: d
            for d in session.scalars(sa.select(Dossier).where(Dossier.period_id == period_id))
        }
        assert dossiers[world.secretary_a.id].evidence["score"]["bonus"] == "0.00"
        assert dossiers[world.extras[0].id].evidence["score"]["bonus"] == "0.00"
        assert dossiers[world.extras[2].id].evidence["score"]["deduction"] == "0.00"
        assert dossiers[world.extras[1].id].evidence["score"]["deduction"] == "2.00"
        with refused(None):
            decide_points(
                session, world.general_secretary, session.get(PointItem, ids["claim"]), True, NOW
            )


def test_the_schedule_lapses_undecided_items_at_its_close(app, session, evaluation):
    world, period_id, ids = evaluation
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        assert advance(session, None, period, NOW) == Step.COMMITTEE
        session.expire_all()
        assert _state(session, ids["deduction"]) == PointState.LAPSED
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "assessment.points_lapse")
        ).all()
        assert len(entries) == 3 and {e.actor_id for e in entries} == {None}
        (told,) = _lapse_notices(session, world.secretary_a.id)
        assert told.params["count"] == 1


def test_nothing_to_confirm_when_every_item_was_decided(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        period = new_period(session, world, to=Step.EVALUATION)
        item = _propose(session, extras[0], period, extras[0], points=3)
        decide_points(session, world.secretary_a, item, False, NOW)
        step = advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
        assert step == Step.COMMITTEE
        assert item.state == PointState.REJECTED
        assert not session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "assessment.points_lapse")
        )


# ---- the pages ----


def _period_step(session, period_id) -> Step:
    reload(session)
    return session.get(AssessmentPeriod, period_id).step


def test_the_period_page_names_the_items_that_would_lapse(app, session, evaluation, auth):
    world, period_id, ids = evaluation
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    listed = page.split('data-testid="pending-points"')[1].split("</ul>")[0]
    assert listed.count('data-testid="pending-point"') == 3
    assert f"理由{world.secretary_a.username}" in listed and "+8.00" in listed
    assert f"理由{world.extras[2].username}" in listed and "−2.00" in listed
    assert f"理由{world.extras[1].username}" not in listed  # decided in time
    confirm = page.split('id="advance-lapse"')[0].rsplit("<input", 1)[1]
    value = confirm.split('value="')[1].split('"')[0]
    assert set(map(int, value.split(","))) == {ids["admin"], ids["claim"], ids["deduction"]}


def test_an_earlier_step_says_how_many_items_wait_without_asking(app, session, auth):
    with app.test_request_context():
        world, _extras = assessment_world(session)
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        _propose(session, world.admin, period, world.secretary_a)
        session.commit()
        period_id = period.id
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert 'data-testid="pending-points"' in page
    assert 'data-testid="advance-lapse"' not in page
    auth.post(f"/assessments/periods/{period_id}/advance", {"confirm": "y"})
    assert _period_step(session, period_id) == Step.PEER_REVIEW


def test_advancing_by_hand_lapses_only_the_confirmed_items(app, session, evaluation, auth):
    _world, period_id, ids = evaluation
    url = f"/assessments/periods/{period_id}/advance"
    pending = f"{ids['admin']},{ids['claim']},{ids['deduction']}"
    confirmed = {"confirm": "y", "confirm_no_ballots": "y"}
    auth.login("ext1")  # a member of the branch: not for them
    assert auth.post(url, dict(confirmed, confirm_lapse=pending)).status_code == 403
    auth.logout()
    auth.login("seca")
    for bad in ("", "abc", f"{ids['admin']},{ids['claim']}"):
        response = auth.post(url, dict(confirmed, confirm_lapse=bad))
        assert response.status_code == 302
        assert _period_step(session, period_id) == Step.EVALUATION
        assert _state(session, ids["admin"]) == PointState.PENDING
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert "仍有加减分项待审核" in page
    auth.post(url, dict(confirmed, confirm_lapse=pending))
    assert _period_step(session, period_id) == Step.COMMITTEE
    assert _state(session, ids["admin"]) == PointState.LAPSED


def test_the_points_page_and_the_dossier_show_a_lapsed_item_as_not_counted(
    app, session, evaluation, auth
):
    world, period_id, _ids = evaluation
    with app.test_request_context():
        advance(session, None, session.get(AssessmentPeriod, period_id), NOW)
        session.commit()
    auth.login("ext0")
    page = auth.client.get(f"/assessments/periods/{period_id}/points").get_data(as_text=True)
    (state,) = page.split('data-testid="point-state">')[1:]
    assert state.split("</td>")[0].startswith("已失效")
    dossier = auth.client.get(
        f"/assessments/periods/{period_id}/dossiers/{world.extras[0].id}"
    ).get_data(as_text=True)
    lapsed = dossier.split('data-testid="lapsed-points"')[1].split("</ul>")[0]
    assert "+3.00" in lapsed and f"理由{world.extras[0].username}" in lapsed
    auth.logout()
    auth.login("seca")  # the manager sees it in the member's dossier too
    dossier = auth.client.get(
        f"/assessments/periods/{period_id}/dossiers/{world.extras[2].id}"
    ).get_data(as_text=True)
    assert "−2.00" in dossier.split('data-testid="lapsed-points"')[1]
    dossier = auth.client.get(
        f"/assessments/periods/{period_id}/dossiers/{world.extras[1].id}"
    ).get_data(as_text=True)
    assert 'data-testid="lapsed-points"' not in dossier
