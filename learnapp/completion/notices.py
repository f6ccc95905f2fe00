"""What the weekly reminders say (see notifications.messages): the pace reminder to a member
behind pace and the digest of what a secretary has to follow up."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from learnapp.notifications.messages import declare

# The kinds, offered on the reminders' own settings page (reminders.KINDS).
PACE = "pace_reminder"
DIGEST = "secretary_digest"


def _digest_lines(params: Mapping) -> list[str]:
    """One line per thing to follow up: claims to approve, then each managed unit's members
    behind pace and meetings overdue or due."""
    lines = []
    if params["claims"]:
        lines.append(_("%(n)d study claims to approve", n=params["claims"]))
    for unit in params["units"]:
        name = unit["unit"]
        if unit["behind"]:
            lines.append(_("%(unit)s: %(n)d members behind pace", unit=name, n=unit["behind"]))
        if unit["overdue"]:
            lines.append(_("%(unit)s: %(n)d meetings overdue", unit=name, n=unit["overdue"]))
        if unit["due"]:
            lines.append(_("%(unit)s: %(n)d meetings due this period", unit=name, n=unit["due"]))
    return lines


def _digest_title(params: Mapping) -> str:
    return _("Weekly digest: %(n)d things to follow up", n=len(_digest_lines(params)))


def _digest_body(params: Mapping) -> str:
    return "\n".join(_digest_lines(params)) or _("Nothing needs your attention this week.")


PACE_REMINDER = declare(
    "pace_reminder",
    PACE,
    _l("You are behind this year's study-hour pace"),
    body=_l(
        "Your study hours so far would not reach this year's target at the current "
        "pace. Your ledger shows what has been counted."
    ),
)
SECRETARY_DIGEST = declare(
    "secretary_digest", DIGEST, _digest_title, ("claims", "units"), _digest_body
)
