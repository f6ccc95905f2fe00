"""Uploaded lesson files (video, PDF): checked by their bytes, stored by a random key.

The name an author's file had is display metadata only: Chinese names survive as typed, while
the file on disk is DATA_DIR/media/<random hex>, so no name can reach a path (security.md §6.5).
"""

import hashlib
import logging
import os
import secrets
import struct
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.courses.models import Lesson, LessonKind, LessonMedia
from learnapp.courses.services import require_author, write_version
from learnapp.courses.services.common import (
    MAX_LENGTH_SECONDS,
    follows_length,
    lesson_rules,
    suggest_nominal_hours,
)
from learnapp.errors import DomainError

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
MAX_DISPLAY_NAME = 200
ALLOWED_TYPES = {
    LessonKind.VIDEO: ("video/mp4", "video/webm"),
    LessonKind.DOCUMENT: ("application/pdf",),
}


def sniff_content_type(head: bytes) -> str | None:
    """The media type the first bytes prove, or None (what the client claims is ignored)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/mp4"
    # WebM is Matroska (EBML header) with the "webm" doc type early in the header.
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "video/webm"
    return None


def _boxes(handle: BinaryIO, start: int, end: int):
    """(type, content start, content end) of the ISO-BMFF boxes between two offsets."""
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        content = offset + 8
        if size == 1:  # a 64-bit size follows the type
            large = handle.read(8)
            if len(large) < 8:
                return
            size = struct.unpack(">Q", large)[0]
            content += 8
        elif size == 0:  # the box runs to the end
            size = end - offset
        if size < content - offset or offset + size > end:
            return
        yield kind, content, offset + size
        offset += size


def mp4_duration_seconds(path: Path) -> int | None:
    """The duration an MP4 file declares in its movie header (moov/mvhd), rounded to whole
    seconds; None when the file has no readable header. Only the box headers are read."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        for kind, start, stop in _boxes(handle, 0, end):
            if kind != b"moov":
                continue
            for child, content, child_end in _boxes(handle, start, stop):
                if child != b"mvhd" or child_end - content < 20:
                    continue
                handle.seek(content)
                version = handle.read(1)
                if version == b"\x01" and child_end - content >= 32:
                    handle.seek(content + 20)
                    timescale, duration = struct.unpack(">IQ", handle.read(12))
                elif version == b"\x00":
                    handle.seek(content + 12)
                    timescale, duration = struct.unpack(">II", handle.read(8))
                else:
                    return None
                if timescale == 0 or duration in (0, 2**32 - 1, 2**64 - 1):
                    return None
                return round(duration / timescale)
    return None


def clean_display_name(filename: str | None) -> str:
    """The last path segment with control and bidi characters removed; NUL is refused."""
    name = filename or ""
    if "\x00" in name:
        raise DomainError("file", _l("The file name is not allowed."))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.strip().rstrip(". ")
    if len(name) > MAX_DISPLAY_NAME:
        _stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_DISPLAY_NAME - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name or "file"


def media_path(media_dir: Path, media: LessonMedia) -> Path:
    return media_dir / media.storage_key


def remove_files(media_dir: Path, keys) -> None:
    """Remove the files of deleted media rows, after the deletion is committed. A file that
    cannot be removed is logged and left: nothing refers to it any more."""
    for key in keys:
        try:
            (media_dir / key).unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove media file %s", key, exc_info=True)


def _store(stream: BinaryIO, media_dir: Path, max_bytes: int) -> tuple[str, int, str, bytes]:
    """Copy the stream to a new random file; returns (key, size, sha256, first bytes)."""
    media_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    path = media_dir / key
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DomainError(
                        "file",
                        _l("The file is larger than %(mb)d MB.", mb=max(1, max_bytes // 2**20)),
                    )
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return key, size, digest.hexdigest(), head


def attach_media(
    session: Session,
    actor,
    lesson: Lesson,
    *,
    stream: BinaryIO,
    filename: str | None,
    media_dir: Path,
    max_bytes: int,
    now: datetime,
) -> LessonMedia:
    """Store a video (MP4/WebM) or PDF for a lesson of that kind and make it a new version.

    The type is decided by the file's first bytes; a wrong type, an empty file or one above
    the size limit is refused and nothing is kept. An MP4 that declares its duration sets the
    lesson's length to it (a WebM keeps the length the author typed).
    """
    require_author(actor, lesson.course)
    if not lesson.kind.needs_media:
        raise DomainError("file", _l("Text lessons have no file."))
    display_name = clean_display_name(filename)
    key, size, sha256, head = _store(stream, media_dir, max_bytes)
    content_type = sniff_content_type(head)
    if size == 0 or content_type not in ALLOWED_TYPES[lesson.kind]:
        (media_dir / key).unlink(missing_ok=True)
        message = (
            _l("Upload an MP4 or WebM video.")
            if lesson.kind == LessonKind.VIDEO
            else _l("Upload a PDF document.")
        )
        raise DomainError("file", message)
    media = LessonMedia(
        lesson_id=lesson.id,
        storage_key=key,
        display_name=display_name,
        content_type=content_type,
        size_bytes=size,
        sha256=sha256,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now,
    )
    session.add(media)
    session.flush()
    current = lesson.current_version
    version = write_version(
        session,
        actor,
        lesson,
        body_source=current.body_source if current else "",
        sources=current.sources if current else [],
        media=media,
        now=now,
    )
    if version is None:
        # The very same file again: keep the stored one, forget the copy.
        session.delete(media)
        session.flush()
        (media_dir / key).unlink(missing_ok=True)
        return current.media
    # A video's length is its duration: the one the file declares wins over a typed guess, so
    # the required share and the "last segment watched" end are measured on the real video.
    duration = mp4_duration_seconds(media_dir / key) if content_type == "video/mp4" else None
    if duration and 0 < duration <= MAX_LENGTH_SECONDS and duration != lesson.length_seconds:
        rules = lesson_rules(session, now)
        hours = follows_length(lesson.nominal_hours, lesson.length_seconds, duration, rules)
        lesson.nominal_hours = (
            hours if hours is not None else suggest_nominal_hours(duration, rules)
        )
        lesson.length_seconds = duration
        lesson.updated_at = now
    record(
        session,
        actor,
        "lesson.media_uploaded",
        "lesson",
        lesson.id,
        now=now,
        after={
            "media_id": media.id,
            "name": display_name,
            "type": content_type,
            "size": size,
            "length_seconds": lesson.length_seconds,
            "nominal_hours": str(lesson.nominal_hours),
        },
    )
    return media
