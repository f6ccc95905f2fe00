"""Uploaded lesson files (video, PDF): checked by their bytes, stored by a random key.

The name an author's file had is display metadata only: Chinese names survive as typed, while
the file on disk is DATA_DIR/media/<random hex>, so no name can reach a path (security.md §6.5).
"""

import hashlib
import os
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.courses.models import Lesson, LessonKind, LessonMedia
from learnapp.courses.services import require_author, write_version
from learnapp.errors import DomainError

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


def content_disposition(display_name: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact name as filename* (no header injection)."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in display_name
    )
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(display_name, safe='')}"


def media_path(media_dir: Path, media: LessonMedia) -> Path:
    return media_dir / media.storage_key


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
    the size limit is refused and nothing is kept.
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
    record(
        session,
        actor,
        "lesson.media_uploaded",
        "lesson",
        lesson.id,
        now=now,
        after={"media_id": media.id, "name": display_name, "type": content_type, "size": size},
    )
    return media
