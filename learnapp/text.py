"""Plain text that people type: control characters other than tab and line breaks are never
typed, and PostgreSQL refuses NUL, so a field holding one is refused (or, where text is
cleaned rather than checked, stripped with the same pattern)."""

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
