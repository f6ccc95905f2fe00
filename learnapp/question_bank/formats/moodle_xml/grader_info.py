"""A 简答's reference answer and key points as the information for graders of a Moodle essay.

Moodle shows it to whoever marks the answer, so it is written as HTML a person reads: the
reference answer under a heading, then the key points as a numbered list. The text is escaped
and its line breaks become `<br>`, so the exact markup this module writes, and only that, reads
back as the reference and the key points it came from; any other information for graders is
ordinary text (the reference answer).
"""

import html
import re

from flask_babel import gettext

LINES = r"[^<]*(?:<br>[^<]*)*"
HEADING = r"<p><strong>[^<]*</strong></p>"
WRITTEN = re.compile(
    rf'{HEADING}<p class="reference">(?P<reference>{LINES})</p>'
    rf'(?:{HEADING}<ol class="key-points">(?P<points>(?:<li>{LINES}</li>)*)</ol>)?'
)
POINT = re.compile(rf"<li>({LINES})</li>")


def _html(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(text, quote=False).replace("\n", "<br>")


def _text(markup: str) -> str:
    return html.unescape(markup.replace("<br>", "\n"))


def _heading(label: str) -> str:
    return f"<p><strong>{_html(label)}</strong></p>"


def write(reference: str, key_points: list[str]) -> str:
    """The HTML of the information for graders."""
    written = _heading(gettext("Reference answer")) + f'<p class="reference">{_html(reference)}</p>'
    if key_points:
        items = "".join(f"<li>{_html(point)}</li>" for point in key_points)
        written += _heading(gettext("Key points")) + f'<ol class="key-points">{items}</ol>'
    return written


def read(markup: str) -> tuple[str, list[str]] | None:
    """(reference, key points) when `markup` is what `write` gives, else None."""
    match = WRITTEN.fullmatch(markup.strip())
    if match is None:
        return None
    points = POINT.findall(match.group("points") or "")
    return _text(match.group("reference")), [_text(point) for point in points]
