"""Evidence and meeting attachments: PDF, JPEG or PNG, recognised by their first bytes.

The name a browser sends and its declared type are not trusted; the bytes decide. Files are
stored under a random name in the data folder; the original name is display metadata only.
"""

import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def _folder() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "orglife"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sniff(data: bytes) -> str | None:
    """The content type the bytes prove, or None."""
    for signature, content_type, _suffix in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def clean_display_name(name: str, content_type: str) -> str:
    """The uploaded name without folders or control characters, with the right extension."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip() or "file"
    suffix = next(s for _sig, ct, s in SIGNATURES if ct == content_type)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:150]}{suffix}"


def check_file(data: bytes, field: str = "file") -> str:
    """The content type of an acceptable upload, else DomainError on `field`."""
    if not data:
        raise DomainError(field, _l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise DomainError(field, _l("The file is larger than 10 MB."))
    content_type = sniff(data)
    if content_type is None:
        raise DomainError(field, _l("Only PDF, JPEG or PNG files are accepted."))
    return content_type


def store(data: bytes) -> str:
    stored_name = secrets.token_hex(16)
    (_folder() / stored_name).write_bytes(data)
    return stored_name


def remove(stored_names: list[str]) -> None:
    """Delete stored files whose records are gone (a missing file is already gone)."""
    for stored_name in stored_names:
        path_of(stored_name).unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    if not stored_name or not stored_name.isalnum():
        raise FileNotFoundError(stored_name)
    return _folder() / stored_name
