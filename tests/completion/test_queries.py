from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from learnapp.completion.member_rows import members
from learnapp.completion.queries import Filters, Frame, overview
from learnapp.completion.status import Status
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import ensure_default_rule_set
from learnapp.orgs.models import MemberCategory, Role
from learnapp.text import pinyin_key
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

MID_YEAR = datetime(2026, 7, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, half of 2026 gone


_SOURCE_IDS = iter(range(1, 1_000_000))


def _entry(session, member, hours, category=HoursCategory.ONLINE, year=2026):
    rule_set = ensure_default_rule_set(session, FIXED_NOW)
    session.execute(
        sa.insert(LedgerEntry).values(
            member_id=member.id,
            category=category,
            source_type=SourceType.LESSON,
            source_id=str(next(_SOURCE_IDS)),
            verified_seconds=0,
            hours=Decimal(hours),
            nominal_hours=Decimal(hours),
            rule_set_id=rule_set.id,
            credited_on=date(year, 1, 5),
            year=year,
            status=EntryStatus.CREDITED,
            created_at=FIXED_NOW,
            note="",
        )
    )


def test_statuses_are_computed_in_sql_per_member(session, ctx):
    world = build_world(session)
    done = make_user(session, unit=world.group_a, display_name="甲")
    on_track = make_user(session, unit=world.group_a, display_name="乙")
    behind = make_user(session, unit=world.branch_a, display_name="丙")
    exempt = make_user(session, unit=world.branch_a, display_name="丁", is_elderly_exempt=True)
    activist = make_user(session, unit=world.branch_a, category=MemberCategory.ACTIVIST)
    _entry(session, done, "20")
    _entry(session, done, "12.5", HoursCategory.COLLECTIVE)
    _entry(session, on_track, "16")
    _entry(session, behind, "15.99")
    _entry(session, behind, "30", HoursCategory.SELF_STUDY)  # tracked, does not count
    _entry(session, behind, "40", year=2025)  # another year
    _entry(session, exempt, "1")
    # secretary_a is a leader: 56 target, pace 28 at mid-year.
    _entry(session, world.secretary_a, "27")
    frame = Frame.of(session, 2026, MID_YEAR)
    rows, _pages = members(session, world.branch_a, frame, Filters())
    by_id = {row.member_id: row for row in rows}
    assert by_id[done.id].status == Status.DONE and by_id[done.id].counted == Decimal("32.50")
    assert by_id[on_track.id].status == Status.ON_TRACK
    assert by_id[behind.id].status == Status.BEHIND and by_id[behind.id].counted == Decimal("15.99")
    assert by_id[exempt.id].status == Status.EXEMPT and by_id[exempt.id].target is None
    # An activist has no requirement at all: not "exempt", which is the elderly member's.
    assert by_id[activist.id].status == Status.NOT_APPLICABLE
    assert by_id[activist.id].target is None
    assert by_id[world.secretary_a.id].target == Decimal("56.00")
    assert by_id[world.secretary_a.id].status == Status.BEHIND
    assert by_id[on_track.id].projection == Decimal("32.00")
    names = [row.display_name for row in rows]
    assert names == sorted(names, key=pinyin_key)  # by pinyin: 丙 bing, 成员 cheng, 丁 ding…

    result = overview(session, world.root, frame, Filters())
    assert result.total.counts[Status.DONE] == 1
    assert result.total.counts[Status.EXEMPT] == 1  # the elderly member
    assert result.total.counts[Status.NOT_APPLICABLE] == 1  # the activist
    (general,) = result.children
    assert general.tally.members == result.total.members
    branch_view = overview(session, world.branch_a, frame, Filters())
    (group,) = branch_view.children
    assert group.tally.counts[Status.DONE] == 1 and group.tally.counts[Status.ON_TRACK] == 1
    assert branch_view.direct.members == branch_view.total.members - group.tally.members
    probationary = overview(
        session, world.branch_a, frame, Filters(member_category=MemberCategory.PROBATIONARY)
    )
    assert probationary.total.members == 1
    online = members(session, world.branch_a, frame, Filters(hours_category=HoursCategory.ONLINE))[
        0
    ]
    assert {r.member_id: r.shown for r in online}[done.id] == Decimal("20.00")
    assert world.secretary_a.has_role(Role.SECRETARY)
