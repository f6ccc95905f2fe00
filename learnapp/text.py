"""Plain text that people type: control characters other than tab and line breaks are never
typed, and PostgreSQL refuses NUL, so a field holding one is refused (or, where text is
cleaned rather than checked, stripped with the same pattern). And the order names are listed in.
"""

import re

from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(field: str, value: str | None) -> str:
    """`value` without surrounding spaces; DomainError on `field` if it holds control characters."""
    value = (value or "").strip()
    if CONTROL.search(value):
        raise DomainError(field, _l("The text contains control characters; please retype it."))
    return value


def pinyin_key(name: str) -> bytes:
    """Names in the order Chinese readers expect, by pinyin (安 陈 李 刘 王 张), not by code point
    (刘 孙 安 张 李 王 ...): the name's GB18030 bytes, since GB2312's 3,755 common characters are
    numbered in pinyin order (rarer ones follow, by radical). The databases sort by the same bytes
    (learnapp.db.pinyin_order), so lists read alike on SQLite and PostgreSQL."""
    return name.encode("gb18030")
