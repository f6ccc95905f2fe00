"""Time while the lesson page is away earns nothing: a heartbeat saying the page stopped counting
(hidden, out of focus) closes the counting interval, and the next one earns nothing, however
short the absence. Service tests on record_heartbeat, with the server clock passed as `now`."""

import sqlalchemy as sa

from learnapp.courses.models import LessonKind
from learnapp.study.models import Heartbeat, LessonProgress, StudySession
from tests.study.helpers import pages


def _progress(session) -> int:
    return session.scalar(sa.select(LessonProgress.verified_seconds))


def test_a_short_absence_after_a_paused_heartbeat_earns_nothing(session):
    (page,) = pages(session)
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
    (page,) = pages(session)
    assert page.beat(20, paused=True) == 20
    assert page.beat(10, paused=True) == 0
    assert page.beat(10) == 0
    assert page.beat(10) == 10
    assert session.scalar(sa.select(StudySession.is_paused)) is False
    assert _progress(session) == 30


def test_a_page_that_goes_quiet_while_away_is_held_to_the_gap_rule(session):
    (page,) = pages(session)
    assert page.beat(20) == 20
    assert page.beat(41) == 0  # nothing said while away: a gap over 40 s earns nothing
    assert page.beat(20) == 20


def test_a_paused_page_does_not_take_time_another_tab_studies(session):
    counting, away = pages(session, count=2)
    assert away.beat(20) == 20
    assert counting.beat(0) == 0  # the same 20 s, already credited
    assert away.beat(5, paused=True) == 5
    assert away.beat(10) == 0  # its return moves nothing of the member's study clock...
    assert counting.beat(5) == 15  # ...so the tab studying all along earns its time since
    assert _progress(session) == 40  # the 40 s that passed, counted once


def test_video_watched_while_the_page_was_away_is_not_covered(session):
    (page,) = pages(session, kind=LessonKind.VIDEO)
    assert page.beat(20, segment=(0, 20)) == 20
    assert page.beat(2, paused=True, segment=(20, 22)) == 2
    assert page.beat(30, segment=(22, 52)) == 0
    assert page.beat(20, segment=(52, 72)) == 20
    assert session.scalar(sa.select(LessonProgress.coverage)) == [[0, 22], [52, 72]]
