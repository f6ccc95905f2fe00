from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request

from learnapp.audit.queries import distinct_actions, search_entries
from learnapp.authz import ADMIN, route_policy, strict_int_arg
from learnapp.clock import org_timezone
from learnapp.db import get_session
from learnapp.jobs import JOBS, recent_runs

bp = Blueprint("audit", __name__)


def _day(value: str, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as the start (or end) of that day in the organisation's time zone."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=org_timezone()).astimezone(UTC)
    return start + timedelta(days=1) if end else start


@bp.get("/admin/audit")
@route_policy(ADMIN)
def audit_log():
    session = get_session()
    page = strict_int_arg("page") or 1
    filters = {
        "action": request.args.get("action", "")[:64],
        "target_type": request.args.get("target_type", "")[:32],
        "since": request.args.get("since", "")[:10],
        "until": request.args.get("until", "")[:10],
    }
    entries, total = search_entries(
        session,
        action=filters["action"] or None,
        target_type=filters["target_type"] or None,
        actor_id=strict_int_arg("actor"),
        since=_day(filters["since"]),
        until=_day(filters["until"], end=True),
        page=page,
    )
    return render_template(
        "audit/log.html",
        entries=entries,
        total=total,
        page=page,
        filters=filters,
        actions=distinct_actions(session),
        tz=org_timezone(),
    )


@bp.get("/admin/jobs")
@route_policy(ADMIN)
def job_runs():
    return render_template(
        "audit/jobs.html", jobs=JOBS, runs=recent_runs(get_session()), tz=org_timezone()
    )
