"""Plain-text titles and Markdown bodies as the discussion package stores them."""

import unicodedata

from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError
from learnapp.sanitize import SourceTooLong, plain_text, render_post_markdown, strip_bidi
from learnapp.text import CONTROL


def strip_controls(text: str | None) -> str:
    return CONTROL.sub("", text or "")


def one_line(text: str | None, max_chars: int) -> str:
    """A short optional plain text (a note, a description): controls and bidirectional
    overrides removed, whitespace collapsed, cut to length."""
    return " ".join(strip_bidi(strip_controls(text)).split())[:max_chars]


def shows_nothing(text: str) -> bool:
    """True when the text has nothing a reader would see: only spaces and invisible format
    characters (zero-width spaces and joiners, the byte-order mark)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


def clean_title(title: str, max_chars: int, field: str = "title") -> str:
    """Titles are plain text kept as typed (escaped on output): bidi and control characters
    removed, whitespace collapsed, length capped."""
    text = unicodedata.normalize("NFC", title or "")
    text = "".join(ch for ch in strip_bidi(text) if unicodedata.category(ch) != "Cc")
    text = " ".join(text.split())
    if shows_nothing(text):
        raise DomainError(field, _l("A title is required."))
    if len(text) > max_chars:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars))
    return text


def render_body(body: str, max_chars: int, field: str = "body") -> tuple[str, str]:
    """(source, sanitised html); the source is refused above the cap before any parsing."""
    source = strip_controls(body).replace("\r\n", "\n").strip()
    if len(source) > max_chars:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars))
    if shows_nothing(source):
        raise DomainError(field, _l("Write something first."))
    try:
        html = render_post_markdown(source)
    except SourceTooLong:
        raise DomainError(field, _l("At most %(n)d characters.", n=max_chars)) from None
    # What survives sanitising is what readers see: a body of nothing but scripts, frames or
    # invisible characters would be an empty post.
    if shows_nothing(plain_text(html)) and "<img" not in html:
        raise DomainError(field, _l("Write something readers can see."))
    return source, html
