"""A year's report lists the members of that year: each in the unit they were in at its end
(from the transfer history), no account created after it, and no year before the platform
holds anything."""

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from learnapp.completion.member_rows import members
from learnapp.completion.queries import Filters, Frame, first_year, overview
from learnapp.completion.rollup import refresh
from learnapp.completion.status import Status
from learnapp.completion.summary import summary_lines
from learnapp.orgs.models import UnitKind
from learnapp.orgs.restructure import deactivate_unit
from learnapp.orgs.services import move_member
from tests.completion.test_views import _credit_in
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.world import build_world

JOINED = datetime(2024, 5, 1, tzinfo=UTC)
# 2026-01-01 00:30 in Shanghai is still 2025 in UTC: the year ends on the organisation's clock.
JUST_AFTER_2025 = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _people(session, world):
    """Members of 2025 and their moves since; everyone in build_world joined in 2024."""
    for person in (
        world.general_secretary,
        world.secretary_a,
        world.member_a,
        world.member_b,
        world.admin,
    ):
        person.created_at = JOINED
    people = {
        "left": make_user(session, unit=world.branch_a, display_name="转出者", created_at=JOINED),
        "twice": make_user(session, unit=world.branch_a, display_name="两次", created_at=JOINED),
        "arrived": make_user(
            session, unit=world.branch_b, display_name="转入者", created_at=JOINED
        ),
        "new": make_user(session, unit=world.branch_a, display_name="新成员"),  # 2026-03-10
        "placed": make_user(session, display_name="后分配", created_at=JOINED),  # no unit in 2025
    }
    move_member(
        session,
        world.admin,
        people["arrived"],
        world.branch_a,
        reason="组织关系转接",
        now=FEBRUARY.replace(year=2025),
    )
    move_member(
        session,
        world.admin,
        people["left"],
        world.branch_b,
        reason="组织关系转接",
        now=JUST_AFTER_2025,
    )
    move_member(
        session, world.admin, people["twice"], world.branch_b, reason="组织关系转接", now=FEBRUARY
    )
    move_member(
        session, world.admin, people["twice"], world.group_a, reason="组织关系转接", now=MARCH
    )
    move_member(
        session, world.admin, people["placed"], world.branch_a, reason="组织关系转接", now=FEBRUARY
    )
    session.flush()
    return people


def _listed(session, unit, year):
    frame = Frame.of(session, year, FIXED_NOW)
    rows, _pages = members(session, unit, frame, Filters())
    return {row.display_name: row for row in rows}


def test_a_past_year_lists_each_member_in_the_unit_they_were_in_when_it_ended(session, ctx):
    world = build_world(session)
    people = _people(session, world)
    in_a = _listed(session, world.branch_a, 2025)
    assert set(in_a) == {
        world.general_secretary.display_name,
        world.secretary_a.display_name,
        world.member_a.display_name,
        "转出者",  # moved out in 2026, a minute after 2025 ended in Shanghai
        "两次",  # 甲支部 at the end of 2025, whatever came after
        "转入者",  # moved in during 2025
    }
    assert in_a["转出者"].unit_id == world.branch_a.id and in_a["转出者"].moved_since
    assert in_a["两次"].current_unit_id == world.group_a.id
    assert not in_a["转入者"].moved_since
    assert set(_listed(session, world.branch_b, 2025)) == {world.member_b.display_name}
    # This year: everyone where they are now, the new member and the late placement too.
    now_a = _listed(session, world.branch_a, 2026)
    assert {"新成员", "后分配", "两次", "转入者"} <= set(now_a) and "转出者" not in now_a
    assert now_a["两次"].unit_id == world.group_a.id
    assert "转出者" in _listed(session, world.branch_b, 2026)
    assert people["new"].id not in {row.member_id for row in in_a.values()}


def test_the_dashboard_counts_a_past_year_by_its_members(session, ctx):
    world = build_world(session)
    _people(session, world)
    _credit_in(session, world.member_b, "40", 2025)
    frame = Frame.of(session, 2025, FIXED_NOW)
    view = overview(session, world.general, frame, Filters())
    rows = {row.unit.id: row.tally for row in view.children}
    assert rows[world.branch_a.id].members == 6
    assert rows[world.branch_a.id].counts[Status.BEHIND] == 6  # none reached the target
    assert rows[world.branch_b.id].members == 1
    assert rows[world.branch_b.id].counts[Status.DONE] == 1
    assert view.total.members == 7


def test_a_past_year_is_read_in_one_statement_whatever_the_transfers(session, ctx):
    world = build_world(session)
    _people(session, world)
    frame = Frame.of(session, 2025, FIXED_NOW)
    assert world.root.children  # loaded before counting
    statements = []

    def count(*_args):
        statements.append(1)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        overview(session, world.root, frame, Filters())
        few = len(statements)
        for number in range(20):
            mover = make_user(session, unit=world.branch_a, created_at=JOINED)
            move_member(
                session, world.admin, mover, world.branch_b, reason="组织关系转接", now=MARCH
            )
            mover.display_name = f"迁移{number}"
        session.flush()
        statements.clear()
        view = overview(session, world.root, frame, Filters())
        many = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert many == few == 2  # the grouped members, the units' paths
    assert view.total.members == 27


def test_the_first_year_is_that_of_the_oldest_account_or_ledger_entry(session, ctx):
    assert first_year(session) is None
    world = build_world(session)
    assert first_year(session) == 2026
    world.member_b.created_at = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)  # 2025 in Shanghai
    session.flush()
    assert first_year(session) == 2025
    _credit_in(session, world.member_a, "1", 2023)
    session.flush()
    assert first_year(session) == 2023
    refresh(session, FIXED_NOW.replace(year=2027))  # read from the rollup now
    assert first_year(session) == 2023


def test_years_before_the_data_are_not_offered_and_say_so(session, auth, app):
    world = build_world(session)
    world.member_b.created_at = JOINED
    session.commit()
    auth.login("gsec")
    url = f"/completion/units/{world.general.id}"
    page = auth.client.get(url).get_data(as_text=True)
    offered = re.findall(r'<option value="(\d{4})"', page)
    assert offered == ["2026", "2025", "2024"]
    assert auth.client.get(f"{url}?year=2024").status_code == 200
    before = auth.client.get(f"{url}?year=2022")
    assert before.status_code == 404
    text = before.get_data(as_text=True)
    assert 'data-testid="no-year"' in text and "count-behind" not in text
    assert f'href="/completion/units/{world.general.id}?year=2024"' in text
    assert (
        auth.client.get(f"/completion/units/{world.general.id}/members?year=2023").status_code
        == 404
    )
    assert auth.client.get(f"/completion/members/{world.member_b.id}?year=2023").status_code == 404
    assert (
        auth.post(f"/completion/units/{world.general.id}/export.csv", {"year": "2023"}).status_code
        == 404
    )


def test_a_past_years_list_does_not_link_members_now_outside_the_scope(session, auth, app):
    world = build_world(session)
    people = _people(session, world)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/units/{world.branch_a.id}?year=2025").get_data(
        as_text=True
    )
    row = re.search(rf'data-testid="member-row-{people["left"].id}">(.*?)</tr>', page, re.S)
    assert row and "转出者" in row.group(1) and 'data-testid="moved-since"' in row.group(1)
    assert f"/completion/members/{people['left'].id}" not in page  # now in 乙支部: 404 to seca
    assert f"/completion/members/{people['twice'].id}?year=2025" in page  # now in 甲第一党小组
    assert 'data-testid="past-year-basis"' in page
    assert "新成员" not in page
    auth.logout()
    auth.login("gsec")
    page = auth.client.get(f"/completion/units/{world.branch_a.id}?year=2025").get_data(
        as_text=True
    )
    assert f"/completion/members/{people['left'].id}?year=2025" in page  # within the 党总支


def test_a_member_page_has_no_verdict_for_a_year_before_the_account(session, auth, app):
    world = build_world(session)
    world.admin.created_at = JOINED  # the platform's data begin in 2024
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/members/{world.member_a.id}?year=2025").get_data(
        as_text=True
    )
    assert 'data-testid="not-yet-member"' in page
    assert 'data-testid="member-status"' not in page
    assert 'data-testid="year-previous"' not in page  # the account is of 2026
    assert f"/completion/members/{world.member_a.id}?year=2026" in page
    current = auth.client.get(f"/completion/members/{world.member_a.id}").get_data(as_text=True)
    assert 'data-testid="member-status"' in current
    assert f"/completion/members/{world.member_a.id}?year=2025" not in current


def _merged_groups(session, world):
    """甲支部's second 党小组, whose one member joined the first in 2026 before it was
    deactivated (党小组合并)."""
    second = make_unit(session, parent=world.branch_a, name="甲第二党小组", kind=UnitKind.GROUP)
    member = make_user(session, unit=second, display_name="合并者", created_at=JOINED)
    for person in (world.general_secretary, world.secretary_a, world.member_a):
        person.created_at = JOINED
    move_member(session, world.admin, member, world.group_a, reason="党小组合并", now=FEBRUARY)
    deactivate_unit(session, world.admin, second, now=MARCH)
    session.flush()
    return second


def test_a_past_year_lists_a_unit_deactivated_since_with_its_members(session, ctx):
    world = build_world(session)
    second = _merged_groups(session, world)
    past = overview(session, world.branch_a, Frame.of(session, 2025, FIXED_NOW), Filters())
    rows = {row.unit.id: row.tally.members for row in past.children}
    assert rows == {world.group_a.id: 1, second.id: 1}
    assert past.direct.members == 2  # the branch's secretaries, not the group's member
    summary = summary_lines(session, world.branch_a, Frame.of(session, 2025, FIXED_NOW), Filters())
    assert [(line.name, line.tally.members) for line in summary] == [
        (world.group_a.name, 1),
        (second.name, 1),
        (world.branch_a.name, 2),
        ("", 4),
    ]
    now = overview(session, world.branch_a, Frame.of(session, 2026, FIXED_NOW), Filters())
    assert {row.unit.id: row.tally.members for row in now.children} == {world.group_a.id: 2}


def test_the_past_years_dashboard_marks_the_deactivated_unit(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        second = _merged_groups(session, world)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/completion/units/{world.branch_a.id}?year=2025")
    row = re.search(
        rf'data-testid="unit-row-{second.id}">.*?</tr>', page.get_data(as_text=True), re.S
    )
    assert row and "已停用" in row.group(0)
    # The units are those of today's tree, and the page says so.
    assert "各组织按现行隶属关系汇总。" in page.get_data(as_text=True)
    this_year = auth.client.get(f"/completion/units/{world.branch_a.id}").get_data(as_text=True)
    assert f'data-testid="unit-row-{second.id}"' not in this_year
    assert 'data-testid="past-year-tree"' not in this_year
