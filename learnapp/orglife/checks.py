"""Checks shared by the use cases of organisational life: who may record for a unit."""

from flask_babel import lazy_gettext as _l

from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError


def check_manager(actor, unit) -> None:
    """DomainError unless `actor` manages `unit`."""
    if actor is None or not can_manage_unit(actor, unit):
        raise DomainError(None, _l("This unit is outside your organisation."))
