"""Plain-text titles and Markdown bodies as the discussion package stores them."""

import unicodedata

from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError
from learnapp.sanitize import SourceTooLong, render_post_markdown, strip_bidi
from learnapp.text import CONTROL


def strip_controls(text: str | None) -> str:
    return CONTROL.sub("", text or "")


def one_line(text: str | None, max_chars: int) -> str:
    """A short optional plain text (a note, a description): controls removed, whitespace
    collapsed, cut to length."""
    return " ".join(strip_controls(text).split())[:max_chars]


def clean_title(title: str, max_chars: int, field: str = "title") -> str:
    """Titles are plain text kept as typed (escaped on output): bidi and control characters
    removed, whitespace collapsed, length capped."""
    text = unicodedata.normalize("NFC", title or "")
    text = "".join(ch for ch in strip_bidi(text) if unicodedata.category(ch) != "Cc")
    text = " ".join(text.split())
    if not text:
        raise DomainError(field, _l("A title is required."))
    if len(text) > max_chars:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars))
    return text


def render_body(body: str, max_chars: int, field: str = "body") -> tuple[str, str]:
    """(source, sanitised html); the source is refused above the cap before any parsing."""
    source = strip_controls(body).replace("\r\n", "\n").strip()
    if not source:
        raise DomainError(field, _l("Write something first."))
    if len(source) > max_chars:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars))
    try:
        return source, render_post_markdown(source)
    except SourceTooLong:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars)) from None
