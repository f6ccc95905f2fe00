"""Curriculum as content files: read the courses/ folder and bring the database in line with it.

Every file is read and checked before anything is written, so a broken file changes nothing.
Courses and lessons are matched by slug; a lesson whose text changed gets a new content version
(members keep their progress, which hangs on the lesson). Files are the source of what they
state; what they do not state (audience units, required share, a course's state once synced)
stays as authors set it on screen.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from learnapp.courses.models import Course, CourseState, Lesson, LessonKind, Module
from learnapp.courses.services import (
    SLUG,
    add_lesson,
    add_module,
    change_course_state,
    check_lesson_numbers,
    create_course,
    lesson_rules,
    suggest_nominal_hours,
    write_version,
)
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Unit

CATEGORY_NAMES = {
    "正式党员": MemberCategory.FULL,
    "预备党员": MemberCategory.PROBATIONARY,
    "发展对象": MemberCategory.CANDIDATE,
    "入党积极分子": MemberCategory.ACTIVIST,
    "群众": MemberCategory.MASSES,
}
MAX_MINUTES = 600


class ContentError(ValueError):
    """The content files are not valid; the message names every problem found."""


@dataclass
class LessonFile:
    path: Path
    slug: str
    title: str
    minutes: int
    sources: list[str]
    body: str
    hours: Decimal | None = None


@dataclass
class ModuleFile:
    title: str
    lessons: list[LessonFile]


@dataclass
class CourseFile:
    folder: str
    slug: str
    title: str
    summary: str
    is_required: bool
    categories: list[MemberCategory]
    modules: list[ModuleFile]


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    courses: int = 0
    lessons: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def lines(self) -> list[str]:
        if not self.changes:
            summary = f"nothing changed ({self.courses} courses, {self.lessons} lessons)"
            return [summary, *self.notes]
        return [*self.changes, *self.notes]


def _front_matter(path: Path, text: str, problems: list[str]) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        problems.append(f"{path}: no YAML front matter (the file must start with ---)")
        return {}, ""
    end = text.find("\n---\n", 4)
    if end < 0:
        problems.append(f"{path}: the front matter is not closed by ---")
        return {}, ""
    try:
        header = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as error:
        problems.append(f"{path}: front matter is not valid YAML ({error.__class__.__name__})")
        return {}, ""
    if not isinstance(header, dict):
        problems.append(f"{path}: front matter must be a mapping")
        return {}, ""
    return header, text[end + 5 :].lstrip("\n")


def _read_lesson(path: Path, problems: list[str]) -> LessonFile | None:
    if not path.is_file():
        problems.append(f"{path}: listed in course.yaml but missing")
        return None
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    header, body = _front_matter(path, text, problems)
    if not header:
        return None
    slug, title, minutes = header.get("slug"), header.get("title"), header.get("minutes")
    sources = header.get("sources") or []
    ok = True
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.append(f"{path}: slug must be lower-case ASCII letters, digits and hyphens")
        ok = False
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        problems.append(f"{path}: title is required (at most 200 characters)")
        ok = False
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        problems.append(f"{path}: minutes must be a whole number from 1 to {MAX_MINUTES}")
        ok = False
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        problems.append(f"{path}: sources must be a list of strings")
        ok = False
    hours = header.get("hours")
    if hours is not None:
        try:
            hours = Decimal(str(hours))
        except InvalidOperation:
            problems.append(f"{path}: hours must be a number")
            ok = False
    if not ok:
        return None
    return LessonFile(path, slug, " ".join(title.split()), minutes, sources, body, hours)


def _read_course(folder: Path, problems: list[str]) -> CourseFile | None:
    meta_path = folder / "course.yaml"
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as error:
        problems.append(f"{meta_path}: not valid YAML ({error.__class__.__name__})")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{meta_path}: must be a mapping")
        return None
    slug, title = meta.get("slug"), meta.get("title")
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.append(f"{meta_path}: slug must be lower-case ASCII letters, digits and hyphens")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{meta_path}: title is required")
    names = ((meta.get("audience") or {}).get("categories")) or []
    unknown = [name for name in names if name not in CATEGORY_NAMES]
    if unknown:
        problems.append(f"{meta_path}: unknown member categories {', '.join(map(str, unknown))}")
    modules, listed = [], []
    for entry in meta.get("modules") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            problems.append(f"{meta_path}: every module needs a title and a list of lessons")
            continue
        files = entry.get("lessons") or []
        listed.extend(files)
        lessons = [_read_lesson(folder / str(name), problems) for name in files]
        modules.append(ModuleFile(" ".join(entry["title"].split()), [x for x in lessons if x]))
    if not modules:
        problems.append(f"{meta_path}: no modules")
    if len(set(listed)) != len(listed):
        problems.append(f"{meta_path}: a lesson file is listed twice")
    unlisted = sorted(p.name for p in folder.glob("*.md") if p.name not in set(listed))
    if unlisted:
        problems.append(f"{meta_path}: lesson files not listed in modules: {', '.join(unlisted)}")
    if not isinstance(slug, str) or not isinstance(title, str):
        return None
    return CourseFile(
        folder=folder.name,
        slug=slug,
        title=" ".join(title.split()),
        summary=str(meta.get("summary") or "").strip(),
        is_required=bool(meta.get("required", False)),
        categories=[CATEGORY_NAMES[name] for name in names if name in CATEGORY_NAMES],
        modules=modules,
    )


def read_content(root: Path) -> list[CourseFile]:
    """Every course folder under `root` (one with a course.yaml), checked; ContentError if bad."""
    if not root.is_dir():
        raise ContentError(f"{root}: not a folder")
    problems: list[str] = []
    courses = [
        course
        for folder in sorted(p for p in root.iterdir() if (p / "course.yaml").is_file())
        if (course := _read_course(folder, problems)) is not None
    ]
    if not courses and not problems:
        raise ContentError(f"{root}: no course folders (a folder with a course.yaml) found")
    seen: dict[str, str] = {}
    for course in courses:
        for slug in [course.slug] + [x.slug for m in course.modules for x in m.lessons]:
            if slug in seen:
                problems.append(f"slug {slug} is used twice ({seen[slug]} and {course.folder})")
            seen[slug] = course.folder
    if problems:
        raise ContentError("\n".join(problems))
    return courses


def _root_unit(session: Session) -> Unit:
    root = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    if root is None:
        raise ContentError("there is no organisation yet: create an administrator first")
    return root


def _sync_course(session: Session, spec: CourseFile, root: Unit, report: SyncReport, now) -> None:
    course = session.scalar(sa.select(Course).where(Course.slug == spec.slug))
    created = course is None
    if created:
        course = create_course(
            session,
            None,
            title=spec.title,
            summary=spec.summary,
            is_required=spec.is_required,
            owner_unit=root,
            audience_categories=spec.categories,
            slug=spec.slug,
            content_folder=spec.folder,
            now=now,
        )
        report.changes.append(f"course {spec.slug}: created")
    else:
        wanted = (spec.title, spec.summary, spec.is_required, set(spec.categories), spec.folder)
        have = (
            course.title,
            course.summary,
            course.is_required,
            course.audience_categories,
            course.content_folder,
        )
        if wanted != have:
            course.title, course.summary, course.is_required = (
                spec.title,
                spec.summary,
                spec.is_required,
            )
            course.set_audience_categories(spec.categories)
            course.content_folder = spec.folder
            course.updated_at = now
            report.changes.append(f"course {spec.slug}: details updated")
    modules = list(course.modules)
    for index, module_spec in enumerate(spec.modules):
        if index < len(modules):
            module = modules[index]
            if module.title != module_spec.title or module.position != index:
                module.title, module.position = module_spec.title, index
                report.changes.append(f"course {spec.slug}: module {index + 1} updated")
        else:
            module = add_module(session, None, course, title=module_spec.title, now=now)
            module.position = index
            if not created:
                report.changes.append(f"course {spec.slug}: module {index + 1} added")
        for position, lesson_spec in enumerate(module_spec.lessons):
            _sync_lesson(session, module, position, lesson_spec, report, now)
    session.flush()
    listed = {x.slug for m in spec.modules for x in m.lessons}
    for module in modules[len(spec.modules) :]:
        session.refresh(module, ["lessons"])
        if not module.lessons:
            session.delete(module)
            report.changes.append(f"course {spec.slug}: empty module {module.title} removed")
    for module in course.modules:
        for lesson in module.lessons:
            if lesson.slug not in listed:
                report.notes.append(
                    f"note: lesson {lesson.slug} of {spec.slug} is not in the files; kept"
                )
    session.flush()
    if created:
        session.expire(course, ["modules"])
        change_course_state(session, None, course, CourseState.PUBLISHED, now)
    elif course.state != CourseState.PUBLISHED:
        report.notes.append(f"note: course {spec.slug} is {course.state.value}; left as it is")
    report.courses += 1


def _sync_lesson(
    session: Session, module: Module, position: int, spec: LessonFile, report: SyncReport, now
) -> None:
    length = spec.minutes * 60
    lesson = session.scalar(sa.select(Lesson).where(Lesson.slug == spec.slug))
    report.lessons += 1
    try:
        if lesson is None:
            lesson = add_lesson(
                session,
                None,
                module,
                title=spec.title,
                kind=LessonKind.TEXT,
                length_seconds=length,
                nominal_hours=spec.hours,
                body_source=spec.body,
                sources=spec.sources,
                slug=spec.slug,
                now=now,
            )
            lesson.position = position
            report.changes.append(f"lesson {spec.slug}: created")
            return
        changed = []
        if (lesson.title, lesson.module_id, lesson.position) != (spec.title, module.id, position):
            lesson.title, lesson.module, lesson.position = spec.title, module, position
            changed.append("title or place")
        if lesson.length_seconds != length:
            lesson.length_seconds = length
            if spec.hours is None:
                lesson.nominal_hours = suggest_nominal_hours(length, lesson_rules(session, now))
            changed.append("length")
        if spec.hours is not None and lesson.nominal_hours != spec.hours:
            lesson.nominal_hours = check_lesson_numbers(
                length, lesson.required_share, spec.hours, lesson_rules(session, now)
            )
            changed.append("study hours")
        version = write_version(
            session, None, lesson, body_source=spec.body, sources=spec.sources, media=None, now=now
        )
        if version is not None:
            changed.append(f"new content version {version.number}")
        if changed:
            lesson.updated_at = now
            report.changes.append(f"lesson {spec.slug}: {', '.join(changed)}")
    except DomainError as error:
        raise ContentError(f"{spec.path}: {error.message}") from None


def sync_content(session: Session, root_path, now: datetime) -> SyncReport:
    """Create or update courses, modules and lessons from the content folder, idempotently.

    New courses are published and owned by the root unit, with the audience categories of
    course.yaml. Nothing is written unless every file is valid.
    """
    specs = read_content(Path(root_path))
    root = _root_unit(session)
    report = SyncReport()
    for spec in specs:
        try:
            _sync_course(session, spec, root, report, now)
        except DomainError as error:
            raise ContentError(f"{spec.folder}: {error.message}") from None
    session.flush()
    return report
