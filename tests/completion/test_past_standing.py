"""A finished year's targets follow each member's standing at its end (category, 年老体弱, 书记/委员),
read back from the standing history, on the completion pages, in the exports and in the dossiers
alike; today's, marked so, where no record of it is kept."""

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from learnapp.assessments.models import Dossier, Step
from learnapp.completion import export
from learnapp.completion.member_rows import member_status, members
from learnapp.completion.queries import Filters, Frame, overview
from learnapp.completion.status import Status
from learnapp.hours.queries import year_summary
from learnapp.orgs.models import MemberCategory, Role, StandingChange
from learnapp.orgs.roles import grant_role, revoke_role
from learnapp.orgs.services import update_member
from tests.assessments.helpers import assessment_world, new_period
from tests.completion.test_views import _credit_in
from tests.factories import make_user

JOINED = datetime(2024, 5, 1, tzinfo=UTC)
FROZEN = datetime(2026, 1, 10, 2, tzinfo=UTC)  # 民主评议 of 2025, early in 2026
GRANTED = datetime(2026, 12, 7, 2, tzinfo=UTC)
TODAY = date(2026, 12, 7)


def _world(session):
    """Branch A's members joined in 2024; 李晓燕 studied 18 学时 in 2025."""
    world, extras = assessment_world(session)
    for person in (world.secretary_a, world.general_secretary, world.member_a, *extras):
        person.created_at = JOINED
    member = extras[0]
    member.display_name = "李晓燕"
    _credit_in(session, member, "18", 2025)
    session.flush()
    return world, member


def _row(session, unit, member, year, filters=None):
    rows, _pages = members(session, unit, Frame.of(session, year, GRANTED), filters or Filters())
    return {row.member_id: row for row in rows}.get(member.id)


def test_a_role_granted_now_leaves_a_past_years_target_and_its_frozen_dossier_alone(session, ctx):
    world, member = _world(session)
    new_period(session, world, year=2025, to=Step.COMMITTEE, now=FROZEN)
    grant_role(session, world.admin, member, world.branch_a, Role.COMMITTEE_MEMBER, GRANTED)
    dossier = session.scalar(sa.select(Dossier).where(Dossier.member_id == member.id))
    assert (dossier.evidence["hours"]["counted"], dossier.evidence["hours"]["target"]) == (
        "18.00",
        "32.00",
    )
    past = _row(session, world.branch_a, member, 2025)
    assert (past.counted, past.target, past.status) == (
        Decimal("18.00"),
        Decimal("32.00"),
        Status.BEHIND,
    )
    assert past.standing_recorded
    frame = Frame.of(session, 2025, GRANTED)
    assert member_status(session, member, frame).target == Decimal("32.00")
    summary = year_summary(session, member, 2025, TODAY)
    assert summary.target == Decimal("32") and not summary.standing.is_leader
    # This year, the role applies: the standing now.
    assert _row(session, world.branch_a, member, 2026).target == Decimal("56.00")
    assert year_summary(session, member, 2026, TODAY).target == Decimal("56")


def test_a_role_held_at_the_end_of_the_year_sets_its_target_even_once_withdrawn(session, ctx):
    world, _member = _world(session)
    _credit_in(session, world.secretary_a, "40", 2025)
    [role] = world.secretary_a.roles
    revoke_role(session, world.admin, role, GRANTED)
    past = _row(session, world.branch_a, world.secretary_a, 2025)
    assert (past.target, past.status) == (Decimal("56.00"), Status.BEHIND)
    assert _row(session, world.branch_a, world.secretary_a, 2026).target == Decimal("32.00")


def test_an_exemption_or_a_category_recorded_now_leaves_a_past_year_alone(session, ctx):
    world, member = _world(session)
    activist = make_user(
        session, unit=world.branch_a, category=MemberCategory.ACTIVIST, created_at=JOINED
    )
    for person, change in ((member, "is_elderly_exempt"), (activist, "category")):
        update_member(
            session,
            world.admin,
            person,
            display_name=person.display_name,
            category=MemberCategory.PROBATIONARY if change == "category" else person.category,
            phone=None,
            is_mobile=False,
            is_retired=False,
            is_elderly_exempt=change == "is_elderly_exempt",
            now=GRANTED,
        )
    assert _row(session, world.branch_a, member, 2025).status == Status.BEHIND
    assert _row(session, world.branch_a, member, 2026).status == Status.EXEMPT
    past = _row(session, world.branch_a, activist, 2025)
    assert (past.category, past.status) == (MemberCategory.ACTIVIST, Status.NOT_APPLICABLE)
    assert _row(session, world.branch_a, activist, 2026).target == Decimal("32.00")
    # The member-category filter of a past year is the category it had.
    activists = Filters(member_category=MemberCategory.ACTIVIST)
    assert _row(session, world.branch_a, activist, 2025, filters=activists) is not None
    assert _row(session, world.branch_a, activist, 2026, filters=activists) is None
    summary = year_summary(session, member, 2025, TODAY)
    assert summary.target == Decimal("32") and summary.exempt_reason is None


def _unrecorded(session, member):
    """The start of the member's record, after 2025 (as the migration marks an account that
    its audit log cannot account for)."""
    session.add(
        StandingChange(
            user_id=member.id,
            changed_at=datetime(2026, 12, 1, tzinfo=UTC),
            category_after=member.category,
            is_elderly_exempt_after=member.is_elderly_exempt,
            is_leader_after=False,
        )
    )
    session.flush()


def test_without_a_record_a_past_year_uses_todays_standing_and_says_so(session, ctx):
    world, member = _world(session)
    _unrecorded(session, member)
    past = _row(session, world.branch_a, member, 2025)
    assert not past.standing_recorded and past.target == Decimal("32.00")
    assert not year_summary(session, member, 2025, TODAY).standing.recorded
    assert _row(session, world.branch_a, member, 2026).standing_recorded


def test_the_pages_and_the_export_show_the_past_standing_and_mark_todays(session, auth, app, clock):
    clock.at = GRANTED
    with app.app_context():
        world, member = _world(session)
        grant_role(session, world.admin, member, world.branch_a, Role.COMMITTEE_MEMBER, GRANTED)
        other = make_user(session, unit=world.branch_a, display_name="无记录", created_at=JOINED)
        _unrecorded(session, other)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/units/{world.branch_a.id}?year=2025").get_data(
        as_text=True
    )
    row = page.split(f'data-testid="member-row-{member.id}"')[1].split("</tr>")[0]
    assert ">32.00<" in row and "（当前）" not in row
    unmarked = page.split(f'data-testid="member-row-{other.id}"')[1].split("</tr>")[0]
    assert 'data-testid="standing-today"' in unmarked and "正式党员（当前）" in unmarked
    assert "党员类别（年末）" in page
    detail = auth.client.get(f"/completion/members/{member.id}?year=2025").get_data(as_text=True)
    assert "/ 32" in detail and 'data-testid="standing-today"' not in detail
    detail = auth.client.get(f"/completion/members/{other.id}?year=2025").get_data(as_text=True)
    assert 'data-testid="standing-today"' in detail
    with app.test_request_context():
        frame = Frame.of(session, 2025, GRANTED)
        rows = {
            row[1]: row for row in export.member_rows(session, world.branch_a, frame, Filters())
        }
    assert rows["无记录"][2] == "正式党员（当前）" and rows["李晓燕"][2] == "正式党员"


def test_a_past_year_reads_the_standing_in_one_statement_whatever_the_changes(session, ctx):
    world, _member = _world(session)
    frame = Frame.of(session, 2025, GRANTED)
    assert world.root.children  # loaded before counting
    statements = []
    engine = session.get_bind()

    def count(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        overview(session, world.root, frame, Filters())
        few = len(statements)
        for number in range(20):
            person = make_user(session, unit=world.branch_a, created_at=JOINED)
            grant_role(session, world.admin, person, world.branch_a, Role.COMMITTEE_MEMBER, GRANTED)
            person.display_name = f"委员{number}"
        session.flush()
        statements.clear()
        view = overview(session, world.root, frame, Filters())
        assert len(statements) == few
        members(session, world.branch_a, frame, Filters())
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert view.total.counts[Status.BEHIND] >= 20
