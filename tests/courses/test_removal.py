"""Deleting lessons, modules and courses: only while nothing refers to them."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.audit.models import AuditEntry
from learnapp.courses.media import remove_files
from learnapp.courses.models import Course, Lesson, LessonKind, LessonMedia, LessonVersion, Module
from learnapp.courses.services import (
    delete_course,
    delete_lesson,
    delete_module,
    update_lesson,
)
from learnapp.discussions.models.boards import Board, BoardKind, BoardSubscription, Thread
from learnapp.discussions.services.boards import ensure_course_boards
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from learnapp.study.models import LessonProgress, StudySession
from tests.courses.factories import PDF_HEAD, make_course, make_lesson, make_media, make_module
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.world import build_world


@pytest.fixture
def world(session, ctx):
    return build_world(session)


def _outline(session, world, lessons=2):
    course = make_course(session, owner_unit=world.root)
    module = make_module(session, course=course)
    made = [make_lesson(session, module=module) for _ in range(lessons)]
    return course, module, made


def _progress(session, member, lesson):
    session.add(
        LessonProgress(
            member_id=member.id,
            lesson_id=lesson.id,
            verified_seconds=60,
            started_at=FIXED_NOW,
            last_studied_at=FIXED_NOW,
        )
    )
    session.flush()


def _english(refused) -> str:
    with force_locale("en"):
        return str(refused.value.message)


def _audit(session, action):
    return session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_an_unstudied_lesson_is_deleted_with_its_versions_and_files(session, world, tmp_path):
    _course, module, (keep, gone) = _outline(session, world)
    gone.kind = LessonKind.DOCUMENT
    media = make_media(
        session,
        lesson=gone,
        media_dir=tmp_path,
        data=PDF_HEAD,
        content_type="application/pdf",
        name="讲义.pdf",
    )
    update_lesson(
        session,
        world.admin,
        gone,
        title="改名",
        kind=LessonKind.DOCUMENT,
        length_seconds=600,
        required_share=Decimal("0.8"),
        nominal_hours=None,
        body_source="新正文",
        sources=[],
        now=FIXED_NOW,
    )
    gone_id = gone.id

    keys = delete_lesson(session, world.admin, gone, FIXED_NOW)

    assert keys == [media.storage_key]
    assert session.get(Lesson, gone_id) is None
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(LessonVersion)
            .where(LessonVersion.lesson_id == gone_id)
        )
        == 0
    )
    assert session.scalar(sa.select(LessonMedia.id).where(LessonMedia.lesson_id == gone_id)) is None
    assert [lesson.id for lesson in module.lessons] == [keep.id]
    (entry,) = _audit(session, "lesson.deleted")
    assert entry.target_id == str(gone_id) and entry.before["title"] == "改名"
    assert (tmp_path / media.storage_key).exists()  # files go only after the commit
    remove_files(tmp_path, keys)
    assert not (tmp_path / media.storage_key).exists()


@pytest.mark.parametrize("record", ["progress", "session", "ledger"])
def test_a_studied_lesson_is_refused_with_the_reason(session, world, record):
    _course, _module, (lesson, _other) = _outline(session, world)
    member = world.member_a
    if record == "progress":
        _progress(session, member, lesson)
    elif record == "session":
        session.add(
            StudySession(
                id="s" * 32,
                member_id=member.id,
                lesson_id=lesson.id,
                started_at=FIXED_NOW,
                last_beat_at=FIXED_NOW,
            )
        )
        session.flush()
    else:
        credit(
            session,
            member,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            lesson.id,
            Decimal("0.25"),
            600,
            FIXED_NOW,
        )
    with pytest.raises(DomainError) as refused:
        delete_lesson(session, world.admin, lesson, FIXED_NOW)
    assert "Archive the course" in _english(refused)
    assert session.get(Lesson, lesson.id) is not None
    assert _audit(session, "lesson.deleted") == []


def test_a_secretary_cannot_delete_outside_their_unit(session, world):
    _course, module, (lesson, _other) = _outline(session, world)
    with pytest.raises(DomainError) as refused:
        delete_lesson(session, world.secretary_a, lesson, FIXED_NOW)
    assert "outside your organisation" in _english(refused)
    with pytest.raises(DomainError) as refused:
        delete_module(session, world.secretary_a, module, FIXED_NOW)
    assert "outside your organisation" in _english(refused)
    assert session.get(Lesson, lesson.id) is not None


def test_a_secretary_deletes_a_lesson_of_their_own_course(session, world):
    course = make_course(session, owner_unit=world.branch_a, audience_units=[world.branch_a])
    lesson = make_lesson(session, module=make_module(session, course=course))
    delete_lesson(session, world.secretary_a, lesson, FIXED_NOW)
    assert session.scalar(sa.select(Lesson.id).where(Lesson.module_id == lesson.module_id)) is None


def test_a_module_is_deleted_with_its_lessons(session, world):
    course, module, lessons = _outline(session, world)
    other = make_module(session, course=course)
    module_id, lesson_ids = module.id, [lesson.id for lesson in lessons]
    delete_module(session, world.admin, module, FIXED_NOW)
    assert session.get(Module, module_id) is None
    assert session.scalar(sa.select(Lesson.id).where(Lesson.id.in_(lesson_ids))) is None
    assert [m.id for m in course.modules] == [other.id]
    (entry,) = _audit(session, "module.deleted")
    assert len(entry.before["lessons"]) == 2


def test_a_module_with_a_studied_lesson_is_refused_naming_it(session, world):
    _course, module, (first, second) = _outline(session, world)
    _progress(session, world.member_a, second)
    with pytest.raises(DomainError) as refused:
        delete_module(session, world.admin, module, FIXED_NOW)
    assert second.title in _english(refused)
    assert first.title not in _english(refused)
    assert session.get(Module, module.id) is not None
    assert session.get(Lesson, first.id) is not None


def test_a_course_with_lessons_but_no_records_is_deleted_with_its_empty_board(session, world):
    course, _module, lessons = _outline(session, world)
    ensure_course_boards(session, [course], FIXED_NOW)
    board = session.scalar(sa.select(Board).where(Board.course_id == course.id))
    session.add(
        BoardSubscription(user_id=world.member_a.id, board_id=board.id, created_at=FIXED_NOW)
    )
    session.flush()
    course_id, board_id = course.id, board.id
    delete_course(session, world.admin, course, FIXED_NOW)
    session.expire_all()
    assert session.get(Course, course_id) is None
    assert session.scalar(sa.select(Lesson.id).where(Lesson.id == lessons[0].id)) is None
    assert session.scalar(sa.select(Board.id).where(Board.id == board_id)) is None
    (entry,) = _audit(session, "course.deleted")
    assert len(entry.before["lessons"]) == 2


def test_a_course_with_study_records_is_refused_and_archiving_offered(session, world):
    course, _module, (lesson, _other) = _outline(session, world)
    _progress(session, world.member_a, lesson)
    with pytest.raises(DomainError) as refused:
        delete_course(session, world.admin, course, FIXED_NOW)
    assert "Archive it instead" in _english(refused)
    assert session.get(Course, course.id) is not None


def test_a_course_that_is_a_quizs_final_test_is_refused(session, world):
    course, _module, _lessons = _outline(session, world)
    quiz = make_quiz(session, world.root, make_paper(session, ("single",)), publish=False)
    quiz.course_id = course.id
    session.flush()
    with pytest.raises(DomainError) as refused:
        delete_course(session, world.admin, course, FIXED_NOW)
    assert quiz.title in _english(refused)


def test_a_course_with_final_test_hours_is_refused(session, world):
    course, _module, _lessons = _outline(session, world)
    credit(
        session,
        world.member_a,
        HoursCategory.ONLINE,
        SourceType.COURSE_TEST,
        course.id,
        Decimal("0.5"),
        60,
        FIXED_NOW,
    )
    with pytest.raises(DomainError) as refused:
        delete_course(session, world.admin, course, FIXED_NOW)
    assert "final test" in _english(refused)


def test_a_course_whose_board_has_threads_is_refused(session, world):
    course, _module, _lessons = _outline(session, world)
    ensure_course_boards(session, [course], FIXED_NOW)
    board = session.scalar(
        sa.select(Board).where(Board.kind == BoardKind.COURSE, Board.course_id == course.id)
    )
    session.add(
        Thread(
            board_id=board.id,
            author_id=world.member_a.id,
            title="讨论",
            created_at=FIXED_NOW,
            last_post_at=FIXED_NOW,
        )
    )
    session.flush()
    with pytest.raises(DomainError) as refused:
        delete_course(session, world.admin, course, FIXED_NOW)
    assert "discussion board" in _english(refused)
