"""Read API of study: progress per lesson and course, and where to continue."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.courses.models import Course, Lesson, Module
from learnapp.courses.queries import (
    course_outline,
    course_outlines,
    visible_courses,
    visible_lesson,
)
from learnapp.hours.models import LedgerEntry, SourceType
from learnapp.hours.queries import entries_by_id, reversals_of
from learnapp.orglife.claim_queries import on_behalf_claim_ids
from learnapp.study.models import LessonProgress
from learnapp.study.services import required_seconds


def progress_by_lesson(
    session: Session, member_id: int, lesson_ids: list[int] | None = None
) -> dict[int, LessonProgress]:
    query = sa.select(LessonProgress).where(LessonProgress.member_id == member_id)
    if lesson_ids is not None:
        if not lesson_ids:
            return {}
        query = query.where(LessonProgress.lesson_id.in_(lesson_ids))
    return {row.lesson_id: row for row in session.scalars(query)}


def progress_by_member(
    session: Session, member_ids: list[int], lesson_ids: list[int]
) -> dict[int, dict[int, LessonProgress]]:
    """{member id: {lesson id: progress}} for many members in one query (assessment dossiers
    read a whole branch at once; progress_by_lesson reads one member)."""
    result: dict[int, dict[int, LessonProgress]] = {}
    if not member_ids or not lesson_ids:
        return result
    rows = session.scalars(
        sa.select(LessonProgress).where(
            LessonProgress.member_id.in_(member_ids), LessonProgress.lesson_id.in_(lesson_ids)
        )
    )
    for row in rows:
        result.setdefault(row.member_id, {})[row.lesson_id] = row
    return result


@dataclass
class LessonStatus:
    lesson: Lesson
    progress: LessonProgress | None

    @property
    def required_seconds(self) -> int:
        return required_seconds(self.lesson)

    @property
    def verified_seconds(self) -> int:
        return self.progress.verified_seconds if self.progress else 0

    @property
    def counted_seconds(self) -> int:
        """The verified time that counts toward completing the lesson: at most its required
        time (time beyond it completes nothing), and all of it once the lesson is complete."""
        if self.is_complete:
            return self.required_seconds
        return min(self.verified_seconds, self.required_seconds)

    @property
    def is_complete(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def is_started(self) -> bool:
        return self.progress is not None

    @property
    def share(self) -> float:
        if self.is_complete:
            return 1.0
        if not self.required_seconds:
            return 0.0
        return min(self.verified_seconds / self.required_seconds, 0.99)


@dataclass
class CourseProgress:
    course: Course
    outline: list[tuple]  # [(Module, [LessonStatus])]

    @property
    def statuses(self) -> list[LessonStatus]:
        return [status for _, statuses in self.outline for status in statuses]

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def completed(self) -> int:
        return sum(1 for status in self.statuses if status.is_complete)

    @property
    def share(self) -> float:
        return self.completed / self.total if self.total else 0.0

    @property
    def next_lesson(self) -> Lesson | None:
        """The first lesson not yet complete, in course order."""
        for status in self.statuses:
            if not status.is_complete:
                return status.lesson
        return None


def course_progress(
    session: Session, member, course: Course, progress=None, outline=None
) -> CourseProgress:
    if outline is None:
        outline = course_outline(session, course)
    if progress is None:
        ids = [lesson.id for _, lessons in outline for lesson in lessons]
        progress = progress_by_lesson(session, member.id, ids)
    return CourseProgress(
        course,
        [
            (module, [LessonStatus(lesson, progress.get(lesson.id)) for lesson in lessons])
            for module, lessons in outline
        ],
    )


def courses_progress(session: Session, member) -> list[CourseProgress]:
    """Every course the member may study, with their progress in it."""
    progress = progress_by_lesson(session, member.id)
    courses = visible_courses(session, member)
    outlines = course_outlines(session, courses)
    return [
        course_progress(session, member, course, progress, outlines[course.id])
        for course in courses
    ]


@dataclass
class CourseCount:
    course: Course
    total: int
    completed: int


def courses_completion(session: Session, member) -> list[CourseCount]:
    """Every course the member may study with how many of its lessons they completed: the
    figures of the progress bars, counted in SQL without loading the lessons."""
    courses = visible_courses(session, member)
    if not courses:
        return []
    rows = session.execute(
        sa.select(
            Module.course_id,
            sa.func.count(Lesson.id),
            sa.func.count(LessonProgress.completed_at),
        )
        .join(Lesson, Lesson.module_id == Module.id)
        .outerjoin(
            LessonProgress,
            sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.member_id == member.id),
        )
        .where(Module.course_id.in_([course.id for course in courses]))
        .group_by(Module.course_id)
    ).all()
    counts = {course_id: (total, completed) for course_id, total, completed in rows}
    return [CourseCount(course, *counts.get(course.id, (0, 0))) for course in courses]


def visible_course(session: Session, member, course_id: int) -> Course | None:
    for course in visible_courses(session, member):
        if course.id == course_id:
            return course
    return None


@dataclass
class Continuation:
    lesson: Lesson
    progress: LessonProgress | None

    @property
    def status(self) -> LessonStatus:
        return LessonStatus(self.lesson, self.progress)


def continue_learning(
    session: Session, member, courses: list[CourseProgress] | None = None
) -> Continuation | None:
    """Where the member left off: the lesson they studied last and have not completed, or else
    the next lesson of the first course they have not finished (`courses`: the member's
    courses_progress when the caller has it already)."""
    recent = session.scalars(
        sa.select(LessonProgress)
        .where(LessonProgress.member_id == member.id, LessonProgress.completed_at.is_(None))
        .order_by(LessonProgress.last_studied_at.desc())
        .limit(5)
    )
    for progress in recent:
        lesson = visible_lesson(session, member, progress.lesson_id)
        if lesson is not None:
            return Continuation(lesson, progress)
    for course in courses if courses is not None else courses_progress(session, member):
        lesson = course.next_lesson
        if lesson is not None:
            return Continuation(lesson, None)
    return None


def lesson_titles(session: Session, lesson_ids: set[int]) -> dict[int, str]:
    """Titles of lessons named by ledger entries (the ledger stores only ids)."""
    if not lesson_ids:
        return {}
    rows = session.execute(sa.select(Lesson.id, Lesson.title).where(Lesson.id.in_(lesson_ids)))
    return dict(rows.all())


@dataclass(frozen=True)
class LedgerNotes:
    """Why each entry of a page of a member's ledger stands as it does."""

    reversals: dict[int, LedgerEntry]  # the correction cancelling an entry, by that entry's id
    originals: dict[int, LedgerEntry]  # the entry a correction cancels, by its own id
    titles: dict[int, str]  # the lessons the entries and the cancelled entries were credited for
    # The source ids (as the ledger stores them) of their claims a secretary recorded (送学上门).
    on_behalf: frozenset[str] = frozenset()


def ledger_notes(session: Session, entries: list[LedgerEntry]) -> LedgerNotes:
    """What the pages listing a member's ledger say beside `entries` (the member's own page and
    their secretary's): an entry that was reversed says so, a correction names the entry it
    cancels, lessons are named by their titles, study recorded on the member's behalf says so
    (hours.labels.entry_text). At most four queries, however many entries."""
    originals = entries_by_id(session, {e.reverses_id for e in entries if e.reverses_id})
    named = (*entries, *originals.values())
    return LedgerNotes(
        reversals=reversals_of(session, [entry.id for entry in entries]),
        originals=originals,
        titles=lesson_titles(session, _source_ids(named, SourceType.LESSON)),
        on_behalf=frozenset(
            map(str, on_behalf_claim_ids(session, _source_ids(named, SourceType.CLAIM)))
        ),
    )


def _source_ids(entries, source_type: SourceType) -> set[int]:
    return {
        int(e.source_id) for e in entries if e.source_type == source_type and e.source_id.isdigit()
    }
