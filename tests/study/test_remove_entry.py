"""My study: removing a self-study entry recorded by mistake, from the ledger list through a
confirmation page, for the owner and for everyone else."""

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from learnapp.assessments.models import Step
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.queries import reversals_of, year_totals
from learnapp.hours.services import credit, record_self_study
from tests.assessments.helpers import new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.world import build_world

SELF = HoursCategory.SELF_STUDY


def _arrange(app, session):
    """memb (in English, so messages read the same whatever the catalogue) with two self-study
    entries and a lesson entry."""
    world = build_world(session)
    world.member_b.locale = "en"
    with app.test_request_context():
        keep = record_self_study(
            session, world.member_b, day=date(2026, 3, 2), hours="1", note="读党章", now=FIXED_NOW
        )
        mistake = record_self_study(
            session,
            world.member_b,
            day=date(2026, 3, 9),
            hours="1.5",
            note="误录的自学",
            now=FIXED_NOW,
        )
        lesson = credit(
            session,
            world.member_b,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            7,
            "1",
            1800,
            FIXED_NOW,
        )
    session.commit()
    return world, keep, mistake, lesson


def _remove_links(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/study/me/entries/(\d+)/remove"', page)}


def _reversal_count(session) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.reverses_id.isnot(None))
    )


def test_the_member_confirms_and_the_entry_is_cancelled(app, session, auth):
    world, keep, mistake, lesson = _arrange(app, session)
    auth.login("memb")
    assert _remove_links(auth.client.get("/study/me").get_data(as_text=True)) == {
        keep.id,
        mistake.id,
    }
    url = f"/study/me/entries/{mistake.id}/remove"
    confirm = auth.client.get(url)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "误录的自学" in text
    effect = re.search(r'data-testid="removal-effect">([^<]+)<', text).group(1)
    assert "from 2.50 to 1.00" in effect
    reload(session)
    assert _reversal_count(session) == 0  # asking changes nothing

    response = auth.post(url, {"reason": "重复登记"})
    assert response.status_code == 302 and response.headers["Location"] == "/study/me?year=2026"
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Self-study entry removed: 1.50 study hours taken off 2026." in page
    assert re.search(r'data-testid="category-self_study">\s*<td>[^<]+</td>\s*<td[^>]*>1.00<', page)
    assert "Cancelled by a correction on 2026-03-10: 重复登记" in page
    # The correction names the entry it cancels as the member knows it, not by an id.
    assert "Correction of the entry of 2026-03-09 (Self-study · 误录的自学)" in page
    assert _remove_links(page) == {keep.id}
    reload(session)
    assert year_totals(session, world.member_b.id, 2026)[SELF] == Decimal("1.00")
    assert set(reversals_of(session, [keep.id, mistake.id, lesson.id])) == {mistake.id}
    assert session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "hours.self_study_removed")
    )


def test_a_reason_is_required_and_nothing_is_stored_without_one(app, session, auth):
    _world, _keep, mistake, _lesson = _arrange(app, session)
    auth.login("memb")
    url = f"/study/me/entries/{mistake.id}/remove"
    for reason in ("", "   ", "=SUM(A1)"):
        response = auth.post(url, {"reason": reason})
        assert response.status_code == 400, reason
        assert "invalid-feedback" in response.get_data(as_text=True), reason
    assert auth.client.post(url, data={"reason": "x"}).status_code == 400  # no CSRF token
    reload(session)
    assert _reversal_count(session) == 0


def test_other_members_secretaries_and_visitors_cannot_remove_an_entry(app, session, auth):
    _arrange(app, session)
    mistake = session.scalars(sa.select(LedgerEntry).where(LedgerEntry.note == "误录的自学")).one()
    url = f"/study/me/entries/{mistake.id}/remove"
    visitor = auth.client.get(url)
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    anonymous_post = auth.client.post(url, data={"csrf_token": auth.csrf(), "reason": "x"})
    assert anonymous_post.status_code == 302 and "/login" in anonymous_post.headers["Location"]
    for username in ("mema", "seca", "gsec", "admin"):
        auth.login(username)
        assert auth.client.get(url).status_code == 404, username
        assert auth.post(url, {"reason": "不是我的"}).status_code == 404, username
        auth.logout()
    reload(session)
    assert _reversal_count(session) == 0


def test_entries_that_cannot_be_removed_say_why_and_store_nothing(app, session, auth):
    world, _keep, mistake, lesson = _arrange(app, session)
    auth.login("memb")
    assert (
        auth.post(f"/study/me/entries/{mistake.id}/remove", {"reason": "重复"}).status_code == 302
    )
    for entry_id, message in (
        (lesson.id, "Only self-study you recorded yourself can be removed."),
        (mistake.id, "This entry has already been reversed."),
    ):
        url = f"/study/me/entries/{entry_id}/remove"
        for method in ("GET", "POST"):
            if method == "GET":
                response = auth.client.get(url)
            else:
                response = auth.post(url, {"reason": "再次"})
            assert response.status_code == 302, method
            page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
            assert message in page and "alert-danger" in page
    reload(session)
    assert _reversal_count(session) == 1
    reversal = reversals_of(session, [mistake.id])[mistake.id]
    # The correction itself is no self-study entry: it cannot be removed either.
    assert auth.client.get(f"/study/me/entries/{reversal.id}/remove").status_code == 302
    assert year_totals(session, world.member_b.id, 2026)[SELF] == Decimal("1.00")


def test_only_entries_recorded_after_the_freeze_can_be_removed(app, session, auth, clock):
    """mema's branch freezes its 2026 dossiers between two of her self-study entries."""
    world = build_world(session)
    world.member_a.locale = "en"
    later = FIXED_NOW + timedelta(days=1)
    with app.test_request_context():
        before = record_self_study(
            session, world.member_a, day=date(2026, 3, 9), hours="1", note="读党章", now=FIXED_NOW
        )
        period = new_period(session, world, to=Step.EVALUATION)
        advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
        after = record_self_study(
            session, world.member_a, day=date(2026, 3, 11), hours="2", note="补学", now=later
        )
    session.commit()
    clock.at = later
    auth.login("mema")
    assert _remove_links(auth.client.get("/study/me").get_data(as_text=True)) == {after.id}
    response = auth.client.get(f"/study/me/entries/{before.id}/remove")
    assert response.status_code == 302
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This entry is part of the evidence frozen for your 2026 assessment" in page
    assert auth.post(f"/study/me/entries/{before.id}/remove", {"reason": "记错"}).status_code == 302
    response = auth.post(f"/study/me/entries/{after.id}/remove", {"reason": "记错"})
    assert response.status_code == 302
    reload(session)
    assert set(reversals_of(session, [before.id, after.id])) == {after.id}
    assert year_totals(session, world.member_a.id, 2026)[SELF] == Decimal("1.00")
