"""Factories for courses: `make_*(session, **overrides)`; they flush and never commit."""

import itertools
import struct
from decimal import Decimal

from learnapp.courses.models import (
    Course,
    CourseState,
    Lesson,
    LessonKind,
    LessonMedia,
    LessonVersion,
    Module,
)
from learnapp.sanitize import render_markdown
from tests.factories import FIXED_NOW

_sequence = itertools.count(1)
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def make_course(
    session,
    *,
    owner_unit,
    state: CourseState = CourseState.PUBLISHED,
    audience_units=(),
    categories=(),
    **fields,
) -> Course:
    number = next(_sequence)
    course = Course(
        slug=fields.pop("slug", f"course-{number}"),
        title=fields.pop("title", f"课程{number}"),
        summary=fields.pop("summary", ""),
        is_required=fields.pop("is_required", False),
        state=state,
        owner_unit=owner_unit,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
        **fields,
    )
    course.audience_units = list(audience_units)
    course.set_audience_categories(categories)
    session.add(course)
    session.flush()
    return course


def make_module(session, *, course, position: int | None = None, title: str | None = None):
    module = Module(
        course=course,
        position=len(course.modules) if position is None else position,
        title=title or f"第{next(_sequence)}章",
    )
    session.add(module)
    session.flush()
    return module


def make_lesson(
    session,
    *,
    module,
    kind: LessonKind = LessonKind.TEXT,
    body: str = "正文",
    length_seconds: int = 600,
    **fields,
) -> Lesson:
    number = next(_sequence)
    lesson = Lesson(
        module=module,
        position=fields.pop("position", len(module.lessons)),
        slug=fields.pop("slug", f"lesson-{number}"),
        title=fields.pop("title", f"第{number}节"),
        kind=kind,
        length_seconds=length_seconds,
        required_share=fields.pop("required_share", Decimal("0.80")),
        nominal_hours=fields.pop("nominal_hours", Decimal("0.25")),
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    session.add(lesson)
    session.flush()
    version = LessonVersion(
        lesson_id=lesson.id,
        number=1,
        body_source=body,
        body_html=render_markdown(body),
        sources=[],
        content_hash=f"hash-{number}",
        created_at=FIXED_NOW,
        media=fields.pop("media", None),
    )
    session.add(version)
    session.flush()
    lesson.current_version = version
    session.flush()
    return lesson


def make_media(session, *, lesson, media_dir, data: bytes, content_type: str, name: str):
    key = f"{next(_sequence):032x}"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / key).write_bytes(data)
    media = LessonMedia(
        lesson_id=lesson.id,
        storage_key=key,
        display_name=name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=f"{key:0>64}",
        uploaded_at=FIXED_NOW,
    )
    session.add(media)
    session.flush()
    lesson.current_version.media = media
    session.flush()
    return media


def _box(kind: bytes, content: bytes) -> bytes:
    return struct.pack(">I", 8 + len(content)) + kind + content


def mp4_file(timescale: int, duration: int, *, version: int = 0, moov_last: bool = True) -> bytes:
    """A small MP4 whose movie header declares `duration` in units of `timescale`."""
    if version == 0:
        header = bytes(4) + struct.pack(">IIII", 0, 0, timescale, duration) + bytes(80)
    else:
        header = b"\x01\x00\x00\x00" + struct.pack(">QQIQ", 0, 0, timescale, duration) + bytes(80)
    moov = _box(b"moov", _box(b"mvhd", header) + _box(b"trak", b"\x00" * 32))
    media_data = _box(b"mdat", b"\x00" * 500)
    body = media_data + moov if moov_last else moov + media_data
    return MP4_HEAD + body
