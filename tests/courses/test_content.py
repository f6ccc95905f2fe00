"""The curriculum content files: sync creates, updates and versions idempotently by slug."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from learnapp.config import PROJECT_ROOT
from learnapp.courses.content import ContentError, read_content, sync_content
from learnapp.courses.models import Course, CourseState, Lesson, LessonVersion
from learnapp.orgs.models import MemberCategory
from tests.factories import FIXED_NOW, make_unit

LESSON = """---
slug: {slug}
title: "{title}"
minutes: {minutes}
sources:
  - "《中国共产党章程》，总纲"
---

{body}
"""


def _write_course(root: Path, body="正文", minutes=8, categories="[正式党员, 预备党员]"):
    folder = root / "demo-course"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(
        f"""slug: demo-course
title: 示例课程
summary: 一门示例课程
required: true
audience:
  categories: {categories}
modules:
  - title: 第一章
    lessons:
      - 01-a.md
      - 02-b.md
""",
        encoding="utf-8",
    )
    (folder / "01-a.md").write_text(
        LESSON.format(slug="demo-a", title="第一节：总纲", minutes=minutes, body=body),
        encoding="utf-8",
    )
    (folder / "02-b.md").write_text(
        LESSON.format(slug="demo-b", title="第二节", minutes=20, body="第二节正文"),
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def root_unit(session, ctx):
    unit = make_unit(session, name="党委")
    session.commit()
    return unit


def test_project_curriculum_is_valid_and_large_enough():
    courses = read_content(PROJECT_ROOT / "courses")
    lessons = [lesson for c in courses for m in c.modules for lesson in m.lessons]
    assert len(courses) >= 3
    assert len(lessons) >= 15
    assert all(lesson.sources for lesson in lessons)


def test_sync_creates_published_courses_and_second_run_changes_nothing(
    session, root_unit, tmp_path
):
    _write_course(tmp_path)
    first = sync_content(session, tmp_path, FIXED_NOW)
    assert first.changed
    assert "course demo-course: created" in first.changes
    course = session.scalar(sa.select(Course).where(Course.slug == "demo-course"))
    assert course.state == CourseState.PUBLISHED
    assert course.owner_unit_id == root_unit.id
    assert course.is_required
    assert course.audience_categories == {MemberCategory.FULL, MemberCategory.PROBATIONARY}
    lesson = session.scalar(sa.select(Lesson).where(Lesson.slug == "demo-a"))
    assert lesson.length_seconds == 8 * 60
    assert str(lesson.nominal_hours) == "0.25"
    assert (
        str(session.scalar(sa.select(Lesson.nominal_hours).where(Lesson.slug == "demo-b")))
        == "0.50"
    )
    assert lesson.current_version.sources == ["《中国共产党章程》，总纲"]

    second = sync_content(session, tmp_path, FIXED_NOW)
    assert not second.changed
    assert second.lines()[0] == "nothing changed (1 courses, 2 lessons)"


def test_changed_body_becomes_a_new_version_of_the_same_lesson(session, root_unit, tmp_path):
    _write_course(tmp_path)
    sync_content(session, tmp_path, FIXED_NOW)
    lesson = session.scalar(sa.select(Lesson).where(Lesson.slug == "demo-a"))
    lesson_id, first_version = lesson.id, lesson.current_version_id
    _write_course(tmp_path, body="修订后的正文", minutes=31)
    report = sync_content(session, tmp_path, FIXED_NOW)
    assert any("demo-a" in line and "new content version 2" in line for line in report.changes)
    lesson = session.scalar(sa.select(Lesson).where(Lesson.slug == "demo-a"))
    assert lesson.id == lesson_id  # progress hangs on the lesson, so it is kept
    assert lesson.current_version_id != first_version
    assert str(lesson.nominal_hours) == "1.00"
    versions = session.scalars(
        sa.select(LessonVersion.number).where(LessonVersion.lesson_id == lesson_id)
    ).all()
    assert sorted(versions) == [1, 2]
    assert not sync_content(session, tmp_path, FIXED_NOW).changed


def test_archived_course_stays_archived(session, root_unit, tmp_path):
    _write_course(tmp_path)
    sync_content(session, tmp_path, FIXED_NOW)
    course = session.scalar(sa.select(Course).where(Course.slug == "demo-course"))
    course.state = CourseState.ARCHIVED
    report = sync_content(session, tmp_path, FIXED_NOW)
    assert not report.changed
    assert course.state == CourseState.ARCHIVED


def test_invalid_files_change_nothing(session, root_unit, tmp_path):
    folder = _write_course(tmp_path, categories="[正式党员, 外星人]")
    (folder / "03-unlisted.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        sync_content(session, tmp_path, FIXED_NOW)
    assert "外星人" in str(error.value)
    assert "03-unlisted.md" in str(error.value)
    assert session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0


def test_cli_sync_prints_changes_then_nothing(app, runner, root_unit, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "courses", content)
    result = runner.invoke(args=["courses", "sync", str(content)])
    assert result.exit_code == 0, result.output
    assert "course party-constitution-2022: created" in result.output
    again = runner.invoke(args=["courses", "sync", str(content)])
    assert again.exit_code == 0
    assert again.output.startswith("nothing changed (3 courses, 17 lessons)")


def test_cli_reports_bad_content_without_changing_anything(runner, root_unit, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "course.yaml").write_text("slug: [unclosed", encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tmp_path)])
    assert result.exit_code != 0
    assert "nothing was changed" in result.output


def test_folder_without_courses_is_an_error(session, root_unit, tmp_path):
    with pytest.raises(ContentError, match="no course folders"):
        sync_content(session, tmp_path, FIXED_NOW)


def test_lesson_dropped_from_files_is_kept_with_a_note(session, root_unit, tmp_path):
    folder = _write_course(tmp_path)
    sync_content(session, tmp_path, FIXED_NOW)
    meta = (folder / "course.yaml").read_text(encoding="utf-8")
    (folder / "course.yaml").write_text(
        meta.replace("      - 02-b.md\n", "").replace("第一章", "第一章 总则"), encoding="utf-8"
    )
    (folder / "02-b.md").unlink()
    report = sync_content(session, tmp_path, FIXED_NOW)
    assert "course demo-course: module 1 updated" in report.changes
    assert any("demo-b" in note and "kept" in note for note in report.notes)
    assert session.scalar(sa.select(Lesson).where(Lesson.slug == "demo-b")) is not None
    again = sync_content(session, tmp_path, FIXED_NOW)
    assert not again.changed
