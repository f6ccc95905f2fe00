"""What organisational life puts in a secretary's to-do inbox: claims to decide, meetings due."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.clock import now
from learnapp.hours.services import org_day
from learnapp.inbox import InboxItem, provider
from learnapp.orglife.claim_queries import pending_claim_count
from learnapp.orglife.queries import obligation_counts


@provider
def claims_to_decide(session, user) -> list[InboxItem]:
    if not user.is_manager:
        return []
    count = pending_claim_count(session, user)
    return [
        InboxItem(
            "claims",
            _("Study claims to approve"),
            count,
            url_for("orglife.claims_review"),
        )
    ]


@provider
def meetings_due(session, user) -> list[InboxItem]:
    """Per branch the user manages directly, two lines: meetings of a past period not held
    (逾期未开, red) and meetings due in the current period (本期应开). Units above see their
    branches on the calendar page, not one inbox line per branch."""
    today = org_day(now())
    items = []
    for unit in user.managed_units:
        if not unit.kind.is_branch:
            continue
        counts = obligation_counts(session, unit, today)
        url = url_for("orglife.meetings", unit_id=unit.id)
        items.append(
            InboxItem(
                f"meetings-overdue-{unit.id}",
                _("Meetings of past periods in %(unit)s", unit=unit.name),
                counts.overdue,
                url,
                overdue=True,
            )
        )
        items.append(
            InboxItem(
                f"meetings-{unit.id}",
                _("Meetings due this period in %(unit)s", unit=unit.name),
                counts.due,
                url,
            )
        )
    return items
