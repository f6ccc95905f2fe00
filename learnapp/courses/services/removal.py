"""Deleting lessons, modules and courses that nothing refers to.

What refers to course content: members' study sessions and lesson progress, 学时 ledger entries
for a lesson or a course's final test, quizzes that are a course's final test, and threads on a
course's discussion board. Such content stays (the ledger is append-only and every record keeps
its lesson); authors archive the course to hide it. Lesson versions and uploaded files belong to
their lesson and go with it; the deleting service returns the storage keys of the files, which
the caller removes once the deletion is committed.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.courses.models import Course, Lesson, LessonMedia, LessonVersion, Module
from learnapp.courses.services.common import require_author
from learnapp.discussions.models.boards import Board, BoardKind, BoardSubscription, Thread
from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry, SourceType
from learnapp.quizzes.models.definitions import Quiz
from learnapp.study.models import LessonProgress, StudySession

MAX_NAMED = 5


def studied_lesson_ids(session: Session, lesson_ids: list[int]) -> set[int]:
    """The lessons among `lesson_ids` that members have study records or 学时 entries for."""
    if not lesson_ids:
        return set()
    studied = set(
        session.scalars(
            sa.select(LessonProgress.lesson_id).where(LessonProgress.lesson_id.in_(lesson_ids))
        )
    )
    studied |= set(
        session.scalars(
            sa.select(StudySession.lesson_id).where(StudySession.lesson_id.in_(lesson_ids))
        )
    )
    credited = session.scalars(
        sa.select(LedgerEntry.source_id).where(
            LedgerEntry.source_type == SourceType.LESSON,
            LedgerEntry.source_id.in_([str(each) for each in lesson_ids]),
        )
    )
    return studied | {int(each) for each in credited}


def _titles(lessons: list[Lesson]) -> str:
    named = "、".join(f"“{lesson.title}”" for lesson in lessons[:MAX_NAMED])
    return named + ("…" if len(lessons) > MAX_NAMED else "")


def _lesson_snapshot(lesson: Lesson) -> dict:
    return {
        "slug": lesson.slug,
        "title": lesson.title,
        "kind": lesson.kind.value,
        "versions": lesson.current_version.number if lesson.current_version else 0,
    }


def _remove_lessons(session: Session, lessons: list[Lesson]) -> list[str]:
    """Delete lessons with their versions and media rows; returns the files' storage keys."""
    ids = [lesson.id for lesson in lessons]
    if not ids:
        return []
    keys = list(
        session.scalars(sa.select(LessonMedia.storage_key).where(LessonMedia.lesson_id.in_(ids)))
    )
    for lesson in lessons:
        lesson.current_version = None
    session.flush()
    session.execute(sa.delete(LessonVersion).where(LessonVersion.lesson_id.in_(ids)))
    session.execute(sa.delete(LessonMedia).where(LessonMedia.lesson_id.in_(ids)))
    for lesson in lessons:
        session.delete(lesson)
    session.flush()
    return keys


def delete_lesson(session: Session, actor, lesson: Lesson, now: datetime) -> list[str]:
    """Delete a lesson no member has studied or been credited for, with its content versions
    and files; returns the storage keys of its files. A studied lesson is refused: its records
    need it, and archiving the course hides it from members."""
    require_author(actor, lesson.course)
    if studied_lesson_ids(session, [lesson.id]):
        raise DomainError(
            None,
            _l(
                "Members have studied this lesson, so it cannot be deleted: their progress and "
                "credited study hours refer to it. Archive the course to hide it from members."
            ),
        )
    course, lesson_id = lesson.course, lesson.id
    before = {**_lesson_snapshot(lesson), "module_id": lesson.module_id, "course_id": course.id}
    module = lesson.module
    keys = _remove_lessons(session, [lesson])
    session.expire(module, ["lessons"])
    course.updated_at = now
    record(session, actor, "lesson.deleted", "lesson", lesson_id, now=now, before=before)
    return keys


def delete_module(session: Session, actor, module: Module, now: datetime) -> list[str]:
    """Delete a module (章) with its lessons when no member has studied any of them; returns
    the storage keys of the lessons' files."""
    require_author(actor, module.course)
    lessons = list(module.lessons)
    studied = studied_lesson_ids(session, [lesson.id for lesson in lessons])
    if studied:
        raise DomainError(
            None,
            _l(
                "Members have studied lessons of this module (%(lessons)s), so it cannot be "
                "deleted. Move the other lessons out and delete them one by one, or archive the "
                "course to hide it from members.",
                lessons=_titles([lesson for lesson in lessons if lesson.id in studied]),
            ),
        )
    course = module.course
    before = {
        "title": module.title,
        "course_id": course.id,
        "lessons": [_lesson_snapshot(lesson) for lesson in lessons],
    }
    keys = _remove_lessons(session, lessons)
    session.delete(module)
    course.updated_at = now
    session.flush()
    session.expire(course, ["modules"])
    record(session, actor, "module.deleted", "course", course.id, now=now, before=before)
    return keys


def _course_refusal(session: Session, course: Course, lessons: list[Lesson]):
    """Why the course must stay, or None."""
    studied = studied_lesson_ids(session, [lesson.id for lesson in lessons])
    if studied:
        return _l(
            "Members have studied lessons of this course (%(lessons)s), so it cannot be deleted: "
            "their progress and credited study hours refer to them. Archive it instead.",
            lessons=_titles([lesson for lesson in lessons if lesson.id in studied]),
        )
    quiz = session.scalar(sa.select(Quiz.title).where(Quiz.course_id == course.id).limit(1))
    if quiz is not None:
        return _l(
            "The quiz “%(quiz)s” is this course's final test, so the course cannot be deleted. "
            "Archive it instead.",
            quiz=quiz,
        )
    credited = session.scalar(
        sa.select(LedgerEntry.id)
        .where(
            LedgerEntry.source_type == SourceType.COURSE_TEST,
            LedgerEntry.source_id == str(course.id),
        )
        .limit(1)
    )
    if credited is not None:
        return _l(
            "Study hours were credited for this course's final test, so it cannot be deleted. "
            "Archive it instead."
        )
    threads = session.scalar(
        sa.select(Thread.id)
        .join(Board, Thread.board_id == Board.id)
        .where(Board.kind == BoardKind.COURSE, Board.course_id == course.id)
        .limit(1)
    )
    if threads is not None:
        return _l(
            "The course's discussion board has threads, so it cannot be deleted. "
            "Archive it instead."
        )
    return None


def delete_course(session: Session, actor, course: Course, now: datetime) -> list[str]:
    """Delete a course with its modules, lessons and files when nothing refers to it: no study
    records or 学时 on its lessons, no quiz that is its final test, no thread on its board (an
    empty board goes with it). Otherwise it is refused and archived instead. Returns the
    storage keys of the lessons' files."""
    require_author(actor, course)
    modules = list(course.modules)
    lessons = [lesson for module in modules for lesson in module.lessons]
    refusal = _course_refusal(session, course, lessons)
    if refusal is not None:
        raise DomainError(None, refusal)
    before = {
        "slug": course.slug,
        "title": course.title,
        "state": course.state.value,
        "owner_unit_id": course.owner_unit_id,
        "modules": [module.title for module in modules],
        "lessons": [_lesson_snapshot(lesson) for lesson in lessons],
    }
    keys = _remove_lessons(session, lessons)
    for module in modules:
        session.delete(module)
    boards = sa.select(Board.id).where(Board.kind == BoardKind.COURSE, Board.course_id == course.id)
    session.execute(sa.delete(BoardSubscription).where(BoardSubscription.board_id.in_(boards)))
    session.execute(
        sa.delete(Board).where(Board.kind == BoardKind.COURSE, Board.course_id == course.id)
    )
    course.audience_units = []
    course_id = course.id
    session.delete(course)
    session.flush()
    record(session, actor, "course.deleted", "course", course_id, now=now, before=before)
    return keys
