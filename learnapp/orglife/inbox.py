"""What organisational life puts in a secretary's to-do inbox: claims to decide, meetings due."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.clock import now
from learnapp.hours.services import org_day
from learnapp.inbox import InboxItem, provider
from learnapp.orglife.queries import calendar, pending_claim_count


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
    """Meetings due or overdue in the branches the user manages directly (units above see
    their branches on the calendar page, not one inbox line per branch)."""
    today = org_day(now())
    items = []
    for unit in user.managed_units:
        if not unit.kind.is_branch:
            continue
        open_items = [o for o in calendar(session, unit, today) if o.state != "done"]
        overdue = sum(1 for o in open_items if o.state == "overdue")
        items.append(
            InboxItem(
                f"meetings-{unit.id}",
                _("Meetings due or overdue in %(unit)s", unit=unit.name),
                len(open_items),
                url_for("orglife.meetings", unit_id=unit.id),
                overdue=overdue > 0,
            )
        )
    return items
