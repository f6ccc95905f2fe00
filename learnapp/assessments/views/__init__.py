"""The assessments blueprint: member pages, the committee's pages and the rules admin."""

from datetime import UTC, date, datetime, time

from flask import Blueprint, abort
from flask_login import current_user

from learnapp.assessments.queries import own_period, scoped_period
from learnapp.clock import org_timezone
from learnapp.db import get_session

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def managed_period_or_404(period_id: int):
    period = scoped_period(get_session(), current_user, period_id)
    if period is None:
        abort(404)
    return period


def own_period_or_404(period_id: int):
    period = own_period(get_session(), current_user, period_id)
    if period is None:
        abort(404)
    return period


def start_of(day: date) -> datetime:
    """Midnight of `day` in the organisation's time zone, as UTC."""
    return datetime.combine(day, time.min, tzinfo=org_timezone()).astimezone(UTC)


from learnapp.assessments.views import manage, member, rules  # noqa: E402, F401
