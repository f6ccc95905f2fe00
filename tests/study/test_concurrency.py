"""Parallel heartbeats completing one lesson: one completion, one ledger entry."""

import threading

import sqlalchemy as sa

from learnapp.hours.models import LedgerEntry
from learnapp.study.models import LessonProgress
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world

TABS = 6


def test_parallel_completing_heartbeats_credit_once(app, session, clock):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, length_seconds=20, required_share="1")
    session.commit()
    # Each tab is its own client and login, and each request its own database session.
    tabs = [Studier.login(app.test_client(), "mema") for _ in range(TABS)]
    sessions = [tab.start(lesson.id) for tab in tabs]
    clock.advance(seconds=25)
    barrier = threading.Barrier(TABS)
    results: list = [None] * TABS

    def beat(index: int) -> None:
        barrier.wait()
        response = tabs[index].beat(sessions[index], 1, reached_end=True)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=beat, args=(i,)) for i in range(TABS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in results] == [200] * TABS
    assert sum(1 for _, body in results if body["completed_now"]) == 1
    assert sum(body["credited_seconds"] for _, body in results) == 25
    session.rollback()
    entries = session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.member_id == world.member_a.id)
    ).all()
    assert len(entries) == 1
    progress = session.scalars(sa.select(LessonProgress)).one()
    assert progress.completed_at is not None and progress.verified_seconds == 25
