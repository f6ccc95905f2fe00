"""Checks shared by the use cases of organisational life: who may record for a unit, and text
free of control characters."""

import re

from flask_babel import lazy_gettext as _l

from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError

# Control characters other than tab and line breaks: never typed, and PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(field: str, value: str | None) -> str:
    """`value` without surrounding spaces; DomainError on `field` if it holds control characters."""
    value = (value or "").strip()
    if CONTROL.search(value):
        raise DomainError(field, _l("The text contains control characters; please retype it."))
    return value


def check_manager(actor, unit) -> None:
    """DomainError unless `actor` manages `unit`."""
    if actor is None or not can_manage_unit(actor, unit):
        raise DomainError(None, _l("This unit is outside your organisation."))
