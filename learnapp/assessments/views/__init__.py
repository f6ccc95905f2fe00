"""The assessments blueprint: member pages, the committee's pages and the rules admin."""

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, url_for
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


def back_to(period):
    """Redirect to the period's page."""
    return redirect(url_for("assessments.period_detail", period_id=period.id))


def flash_error(error) -> None:
    """A service's refusal of a button press (no form field to put it on)."""
    flash(error.message, "danger")


def period_day(moment: datetime) -> date:
    """The organisation's calendar day of a stored instant."""
    return moment.astimezone(org_timezone()).date()


from learnapp.assessments.views import manage, member, periods, rules  # noqa: E402, F401
