"""GIFT (Moodle's text format): `parse` bytes into drafts, `export` drafts into bytes."""

from learnapp.question_bank.formats.common import ParseResult
from learnapp.question_bank.formats.gift.mapping import to_drafts
from learnapp.question_bank.formats.gift.reader import read_items
from learnapp.question_bank.formats.gift.writer import export

__all__ = ["export", "parse", "read_items"]


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    result = ParseResult()
    items = read_items(data, result)
    if not result.errors or items:
        to_drafts(items, result, filename, default_kp or [])
    if not items and not result.errors and not result.skipped:
        from flask_babel import lazy_gettext as _l

        result.error(None, "", _l("The file has no questions."))
    return result
