"""What completion puts in a secretary's to-do inbox: members behind pace in the branches and
party groups the user manages (units above follow their subtree on the dashboard instead, which
keeps the home page cheap for a 党委 of 100,000 members)."""

from flask import url_for
from flask_babel import gettext as _

from learnapp.clock import now
from learnapp.completion.member_rows import behind_count
from learnapp.completion.queries import Frame
from learnapp.completion.status import Status
from learnapp.hours.services import org_day
from learnapp.inbox import InboxItem, provider
from learnapp.orgs.models import UnitKind


@provider
def members_behind(session, user) -> list[InboxItem]:
    if not user.is_manager:
        return []
    moment = now()
    frame = Frame.of(session, org_day(moment).year, moment)
    return [
        InboxItem(
            f"behind-{unit.id}",
            _("Members behind pace in %(unit)s", unit=unit.name),
            behind_count(session, unit, frame),
            url_for("completion.dashboard", unit_id=unit.id, status=Status.BEHIND.value),
        )
        for unit in user.managed_units
        if unit.kind.is_branch or unit.kind == UnitKind.GROUP
    ]
