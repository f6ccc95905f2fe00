"""A second page taking over from a first (another tab, another device): the first page's last
interval is credited up to the moment it stops or the second page starts, whichever report
reaches the server first, and wall time both pages were open counts once (StudyClock)."""

from datetime import timedelta

import sqlalchemy as sa

from learnapp.study.models import Heartbeat, LessonProgress, StudyClock
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Page, ServerClock
from tests.world import build_world


def _opener(session):
    """Opens pages of one member on lessons of an hour, by one server clock."""
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    clock = ServerClock()

    def open_page(after: int = 0) -> Page:
        clock.now += timedelta(seconds=after)
        lesson = make_lesson(session, course=course, length_seconds=3600)
        return Page(session, world.member_a, lesson, clock)

    return open_page


def _credited(session) -> int:
    return sum(session.scalars(sa.select(LessonProgress.verified_seconds)))


def test_the_first_pages_report_after_the_seconds_first_keeps_its_time_before_the_takeover(
    session,
):
    open_page = _opener(session)
    first = open_page()
    assert first.beat(20) == 20  # 0–20
    second = open_page(after=5)  # takes over at 25
    assert second.beat(20) == 20  # 25–45
    # The first page's report of 20–46 arrives after the second's: 20–25 was its own, 45–46
    # is not yet credited, 25–45 was credited to the second page.
    assert first.beat(1) == 6
    assert first.outcome.credited_elsewhere_seconds == 20
    assert _credited(session) == 46  # the wall time 0–46, once


def test_a_closing_report_credits_the_first_page_up_to_the_takeover(session):
    open_page = _opener(session)
    first = open_page()
    assert first.beat(20) == 20
    second = open_page(after=7)
    assert first.beat(0, paused=True) == 7  # the page hidden as the second opens: 20–27
    assert second.beat(20) == 20  # 27–47
    assert first.beat(20) == 0  # after its closing report the first page earns nothing
    assert _credited(session) == 47


def test_two_pages_open_at_once_credit_overlapping_wall_time_once(session):
    open_page = _opener(session)
    first = open_page()
    second = open_page(after=10)
    credited = [first.beat(10), second.beat(5), first.beat(10), second.beat(10), first.beat(3)]
    # The second page, open from 10, earns only what the first did not: wall time 0–48 once.
    assert credited == [20, 5, 10, 10, 3]
    assert _credited(session) == 48


def test_a_report_replaying_time_already_credited_elsewhere_earns_nothing(session):
    open_page = _opener(session)
    first = open_page()
    second = open_page()
    assert first.beat(20) == 20
    assert second.beat(0) == 0  # the same 0–20
    assert second.outcome.credited_elsewhere_seconds == 20
    heartbeats = session.scalars(sa.select(Heartbeat.credited_seconds).order_by(Heartbeat.id))
    assert list(heartbeats) == [20, 0]


def test_a_clock_kept_before_its_spans_counts_all_time_up_to_its_last_second_as_credited(
    session,
):
    open_page = _opener(session)
    first = open_page()
    second = open_page(after=10)
    assert first.beat(10) == 20  # 0–20
    clock = session.scalars(sa.select(StudyClock)).one()
    session.execute(
        sa.update(StudyClock)
        .where(StudyClock.member_id == clock.member_id)
        .values(recent_spans=None)
    )
    # Only the credited second is known: the second page's 10–20 is not credited again.
    assert second.beat(5) == 5
    assert second.outcome.credited_elsewhere_seconds == 10
