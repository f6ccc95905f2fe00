import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from learnapp.accounts.services.users import set_locale
from learnapp.authz import LOGGED_IN, PUBLIC, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.extensions import csrf
from learnapp.home.queries import admin_overview, home_quizzes, manager_overview
from learnapp.hours.queries import year_summary
from learnapp.hours.services import org_day
from learnapp.redirects import safe_next
from learnapp.web import LANG_COOKIE, LOCALES

bp = Blueprint("home", __name__)


@bp.get("/")
@route_policy(LOGGED_IN)
def index():
    session = get_session()
    moment = now()
    quizzes = home_quizzes(session, current_user, moment)
    return render_template(
        "home/index.html",
        managed=manager_overview(session, current_user) if current_user.is_manager else [],
        admin=admin_overview(session) if current_user.is_admin else None,
        year=year_summary(session, current_user, org_day(moment).year, org_day(moment)),
        quizzes=quizzes.quizzes,
        running=quizzes.running,
        done_today=quizzes.done_today,
        terms=quizzes.terms,
    )


@bp.post("/language")
@route_policy(PUBLIC)
def set_language():
    locale = request.form.get("locale", "")
    target = safe_next(request.form.get("next"), url_for("home.index"))
    if locale not in LOCALES:
        return redirect(target)
    if current_user.is_authenticated:
        set_locale(get_session(), current_user, locale)
        commit()
    response = redirect(target)
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.get("/healthz")
@route_policy(PUBLIC)
@csrf.exempt
def healthz():
    try:
        get_session().execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
