"""A video or PDF lesson whose file is not uploaded cannot be studied: the page runs no tracker,
and the server refuses what a crafted request reports on it (a session, a heartbeat, a video
segment), storing and crediting nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.accounts.services.sessions import SessionMember
from learnapp.courses.models import LessonKind, LessonVersion
from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry
from learnapp.study.models import Heartbeat, LessonProgress, StudyClock, StudySession
from learnapp.study.services import BeatStatus, record_heartbeat, start_session
from tests.factories import FIXED_NOW
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world

KINDS = (LessonKind.VIDEO, LessonKind.DOCUMENT)


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _stored(session) -> tuple[int, ...]:
    return tuple(
        _count(session, model)
        for model in (StudySession, Heartbeat, LessonProgress, StudyClock, LedgerEntry)
    )


def _drop_file(session, lesson) -> None:
    """The lesson's current version becomes one without a file (its content was replaced)."""
    version = LessonVersion(
        lesson_id=lesson.id, number=2, content_hash=f"nofile-{lesson.id}", created_at=FIXED_NOW
    )
    session.add(version)
    session.flush()
    lesson.current_version = version
    session.flush()


@pytest.mark.parametrize("kind", KINDS)
def test_no_session_starts_on_a_lesson_without_its_file(session, kind):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, kind=kind, has_file=False)
    before = _stored(session)
    with pytest.raises(DomainError):
        start_session(session, world.member_a, lesson, FIXED_NOW)
    assert _stored(session) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_heartbeat_on_a_lesson_that_lost_its_file_is_refused_and_not_stored(session, kind):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, kind=kind, length_seconds=600)
    member = SessionMember(
        world.member_a.id, world.member_a.category, world.member_a.unit.path, None, False, "s"
    )
    study_session = start_session(session, world.member_a, lesson, FIXED_NOW)
    _drop_file(session, lesson)
    before = _stored(session)
    outcome = record_heartbeat(
        session,
        member,
        study_session.id,
        seq=1,
        reached_end=True,
        segment=(0, 20) if kind == LessonKind.VIDEO else None,
        paused=False,
        now=FIXED_NOW + timedelta(seconds=20),
    )
    assert outcome.status == BeatStatus.NO_FILE and outcome.credited_seconds == 0
    assert _stored(session) == before
    session.refresh(study_session)
    assert (study_session.last_seq, study_session.verified_seconds) == (0, 0)
    progress = session.scalars(sa.select(LessonProgress)).one()
    session.refresh(progress)
    assert (progress.verified_seconds, progress.reached_end, progress.coverage) == (0, False, [])


def test_a_crafted_start_on_a_video_without_its_file_answers_409(client, session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    video = make_lesson(session, course=course, kind=LessonKind.VIDEO, has_file=False)
    session.commit()
    before = _stored(session)
    studier = Studier.login(client, "mema")
    response = studier.post(f"/study/lessons/{video.id}/sessions")
    assert response.status_code == 409
    assert "本节文件尚未上传" in response.get_json()["error"]
    session.rollback()
    assert _stored(session) == before


def _watching(client, session):
    """A member's study session on a video lesson of a minute with its file, as the page opens it."""
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    video = make_lesson(session, course=course, kind=LessonKind.VIDEO, length_seconds=60)
    session.commit()
    studier = Studier.login(client, "mema")
    return studier, studier.start(video.id), video


def test_crafted_segments_on_a_video_without_its_file_answer_409_and_earn_nothing(
    client, session, clock
):
    studier, sid, video = _watching(client, session)
    _drop_file(session, video)
    session.commit()
    for seq in (1, 2, 3):
        clock.advance(seconds=20)
        response = studier.beat(sid, seq, segment=[(seq - 1) * 20, seq * 20], state="active")
        assert response.status_code == 409
        assert response.get_json()["status"] == "no_file"
    session.rollback()
    assert _count(session, Heartbeat) == 0 and _count(session, LedgerEntry) == 0
    progress = session.scalars(sa.select(LessonProgress)).one()
    assert (progress.verified_seconds, progress.coverage, progress.completed_at) == (0, [], None)


def test_the_same_heartbeat_with_the_file_in_place_is_credited(client, session, clock):
    studier, sid, _ = _watching(client, session)
    clock.advance(seconds=20)
    response = studier.beat(sid, 1, segment=[0, 20], state="active")
    assert response.status_code == 200 and response.get_json()["credited_seconds"] == 20
