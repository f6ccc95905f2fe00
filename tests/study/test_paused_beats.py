"""Time while the lesson page is away earns nothing: a heartbeat saying the page stopped counting
(hidden, out of focus) closes the counting interval, and the next one earns nothing, however
short the absence. Service tests on record_heartbeat, with the server clock passed as `now`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from learnapp.accounts.services.sessions import SessionMember
from learnapp.courses.models import LessonKind
from learnapp.study.models import Heartbeat, LessonProgress, StudySession
from learnapp.study.services import record_heartbeat, start_session
from tests.factories import FIXED_NOW
from tests.study.factories import make_course, make_lesson
from tests.world import build_world


@dataclass
class ServerClock:
    now: datetime = FIXED_NOW


class Page:
    """One lesson page open on the service: `beat(after, ...)` reports `after` seconds later by
    the clock its member's pages share."""

    def __init__(self, session, member, lesson, clock: ServerClock):
        self.session, self.clock = session, clock
        self.member = SessionMember(
            member.id, member.category, member.unit.path, None, False, "auth-session"
        )
        self.id = start_session(session, member, lesson, clock.now).id
        self.seq = 0

    def beat(self, after: int, *, paused: bool = False, segment=None) -> int:
        self.clock.now += timedelta(seconds=after)
        self.seq += 1
        outcome = record_heartbeat(
            self.session,
            self.member,
            self.id,
            seq=self.seq,
            reached_end=False,
            segment=segment,
            paused=paused,
            now=self.clock.now,
        )
        assert outcome.status == "accepted"
        return outcome.credited_seconds


def _pages(session, count=1, **lesson_fields):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, length_seconds=3600, **lesson_fields)
    clock = ServerClock()
    return [Page(session, world.member_a, lesson, clock) for _ in range(count)]


def _progress(session) -> int:
    return session.scalar(sa.select(LessonProgress.verified_seconds))


def test_a_short_absence_after_a_paused_heartbeat_earns_nothing(session):
    (page,) = _pages(session)
    assert page.beat(20) == 20
    assert page.beat(2, paused=True) == 2  # the time up to hiding was spent on the page
    assert page.beat(34) == 0  # back after 34 s away: under the gap rule, but away all the same
    assert page.beat(20) == 20  # the return opened a new counting interval
    assert _progress(session) == 42
    stored = session.scalars(sa.select(Heartbeat).order_by(Heartbeat.seq)).all()
    assert [(beat.is_paused, beat.credited_seconds) for beat in stored] == [
        (False, 20),
        (True, 2),
        (False, 0),
        (False, 20),
    ]


def test_the_interval_after_a_pause_earns_nothing_whatever_the_next_heartbeat_says(session):
    (page,) = _pages(session)
    assert page.beat(20, paused=True) == 20
    assert page.beat(10, paused=True) == 0
    assert page.beat(10) == 0
    assert page.beat(10) == 10
    assert session.scalar(sa.select(StudySession.is_paused)) is False
    assert _progress(session) == 30


def test_a_page_that_goes_quiet_while_away_is_held_to_the_gap_rule(session):
    (page,) = _pages(session)
    assert page.beat(20) == 20
    assert page.beat(41) == 0  # nothing said while away: a gap over 40 s earns nothing
    assert page.beat(20) == 20


def test_a_paused_page_does_not_take_time_another_tab_studies(session):
    counting, away = _pages(session, count=2)
    assert away.beat(20) == 20
    assert counting.beat(0) == 0  # the same 20 s, already credited
    assert away.beat(5, paused=True) == 5
    assert away.beat(10) == 0  # its return moves nothing of the member's study clock...
    assert counting.beat(5) == 15  # ...so the tab studying all along earns its time since
    assert _progress(session) == 40  # the 40 s that passed, counted once


def test_video_watched_while_the_page_was_away_is_not_covered(session):
    (page,) = _pages(session, kind=LessonKind.VIDEO)
    assert page.beat(20, segment=(0, 20)) == 20
    assert page.beat(2, paused=True, segment=(20, 22)) == 2
    assert page.beat(30, segment=(22, 52)) == 0
    assert page.beat(20, segment=(52, 72)) == 20
    assert session.scalar(sa.select(LessonProgress.coverage)) == [[0, 22], [52, 72]]
