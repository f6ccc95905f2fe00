from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from learnapp.completion.queries import Tally
from learnapp.completion.status import (
    Status,
    classify,
    elapsed_share,
    projection,
    statuses_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_year_turns_at_midnight_in_shanghai_not_utc():
    # 2026-12-31 16:00 UTC is already 2027-01-01 00:00 in Shanghai.
    assert elapsed_share(datetime(2026, 12, 31, 15, 59, tzinfo=UTC), 2026, SHANGHAI) < 1
    assert elapsed_share(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 2026, SHANGHAI) == 1
    assert elapsed_share(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 2027, SHANGHAI) == 0
    assert elapsed_share(datetime(2025, 12, 31, 15, 0, tzinfo=UTC), 2026, SHANGHAI) == 0


def test_half_the_year_gone_and_half_the_target_is_on_track():
    mid = datetime(2026, 7, 2, 12, 0, tzinfo=SHANGHAI)  # 182.5 of 365 days
    share = elapsed_share(mid, 2026, SHANGHAI)
    assert share == Decimal("0.500000")
    assert classify(Decimal("16.00"), Decimal("32"), share) == Status.ON_TRACK
    assert classify(Decimal("15.99"), Decimal("32"), share) == Status.BEHIND
    assert projection(Decimal("12"), share) == Decimal("24.00")


def test_done_exempt_and_the_start_of_the_year():
    assert classify(Decimal("32"), Decimal("32"), Decimal("0.1")) == Status.DONE
    assert classify(Decimal("55.99"), Decimal("56"), Decimal("1")) == Status.BEHIND
    assert classify(Decimal("0"), None, Decimal("0.5")) == Status.EXEMPT
    assert classify(Decimal("0"), Decimal("32"), Decimal("0")) == Status.ON_TRACK
    assert projection(Decimal("3"), Decimal("0")) is None


def test_without_a_target_a_party_member_is_exempt_and_anyone_else_has_no_requirement():
    assert classify(Decimal("0"), None, Decimal("0.5"), party_member=False) == (
        Status.NOT_APPLICABLE
    )
    assert classify(Decimal("40"), Decimal("32"), Decimal("0.5"), party_member=False) == (
        Status.NOT_APPLICABLE
    )


def test_a_finished_year_has_no_on_track_and_projects_nothing():
    assert Status.ON_TRACK not in statuses_for(Decimal("1"))
    assert Status.ON_TRACK in statuses_for(Decimal("0.5"))
    assert projection(Decimal("20"), Decimal("1")) is None
    assert classify(Decimal("31.99"), Decimal("32"), Decimal("1")) == Status.BEHIND


def test_figures_are_rounded_half_up_as_the_reports_print_them():
    tally = Tally()
    tally.add(Status.BEHIND, 6, Decimal("66.75"))  # 11.125 a member
    assert tally.average_hours == Decimal("11.13")
    assert projection(Decimal("1.25"), Decimal("0.4")) == Decimal("3.13")  # 3.125
    # the threshold of 进度正常 is target × share to the cent, half up: 56 × 0.005625 = 0.315
    assert classify(Decimal("0.31"), Decimal("56"), Decimal("0.005625")) == Status.BEHIND
    assert classify(Decimal("0.32"), Decimal("56"), Decimal("0.005625")) == Status.ON_TRACK
