"""The rollup plus the ledger's tail always equals the ledger itself."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from learnapp.completion.member_rows import members
from learnapp.completion.models import MemberYearHours
from learnapp.completion.queries import Filters, Frame
from learnapp.completion.rollup import rebuild, refresh, watermark
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit, reverse_entry
from tests.factories import FIXED_NOW
from tests.world import build_world

LATER = FIXED_NOW + timedelta(hours=1)


def _counted(session, world):
    frame = Frame.of(session, 2026, FIXED_NOW)
    rows, _ = members(session, world.general, frame, Filters())
    return {row.member_id: row.counted for row in rows}


def test_refresh_folds_old_entries_and_the_tail_covers_the_rest(session, ctx):
    world = build_world(session)
    first = credit(
        session, world.member_a, HoursCategory.CENTRALISED, SourceType.CLAIM, 1, "8", 0, FIXED_NOW
    )
    credit(
        session, world.member_b, HoursCategory.COLLECTIVE, SourceType.MEETING, 1, "2", 0, FIXED_NOW
    )
    before = _counted(session, world)
    assert before[world.member_a.id] == Decimal("8.00")
    assert refresh(session, FIXED_NOW).key == "up_to_date"  # nothing older than the lag
    assert refresh(session, LATER).key == "rolled_up"
    assert watermark(session) >= first.id
    assert _counted(session, world) == before
    assert refresh(session, LATER).key == "up_to_date"  # idempotent
    # A correction after the refresh is in the tail until the next one.
    reverse_entry(session, world.secretary_a, first, "录入错误", LATER)
    credit(session, world.member_a, HoursCategory.ONLINE, SourceType.LESSON, 9, "1", 0, LATER)
    after = _counted(session, world)
    assert after[world.member_a.id] == Decimal("1.00")
    refresh(session, LATER + timedelta(hours=1))
    assert _counted(session, world) == after
    row = session.get(MemberYearHours, (world.member_a.id, 2026))
    assert (row.h_centralised, row.h_online) == (Decimal("0.00"), Decimal("1.00"))
    rebuild(session, LATER + timedelta(hours=1))
    assert _counted(session, world) == after
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberYearHours)) == 2
