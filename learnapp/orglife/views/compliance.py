"""The compliance calendar: the current and overdue obligations of the branches under a unit."""

from flask import redirect, render_template, url_for

from learnapp.authz import MANAGER, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import get_session
from learnapp.hours.services import org_day
from learnapp.orglife.queries import branch_count_under, branches_under, calendar
from learnapp.orglife.views import bp, unit_or_404

CALENDAR_PAGE = 30


@bp.get("/units/<int:unit_id>/calendar")
@route_policy(MANAGER)
def unit_calendar(unit_id):
    """A branch's obligations; for a unit above, every branch of its subtree, a page at a time."""
    session = get_session()
    unit = unit_or_404(unit_id)
    today = org_day(now())
    if unit.kind.is_branch:
        return redirect(url_for("orglife.meetings", unit_id=unit.id))
    total = branch_count_under(session, unit)
    pages = max(1, -(-total // CALENDAR_PAGE))
    page = min(max(strict_int_arg("page") or 1, 1), pages)
    rows = [
        (
            branch,
            [
                item
                for item in calendar(session, branch, today)
                if item.is_current or item.state == "overdue"
            ],
        )
        for branch in branches_under(
            session, unit, limit=CALENDAR_PAGE, offset=(page - 1) * CALENDAR_PAGE
        )
    ]
    return render_template(
        "orglife/calendar.html", unit=unit, rows=rows, page=page, pages=pages, total=total
    )
