from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from learnapp.accounts.forms import (
    ChangePasswordForm,
    InitialPasswordsForm,
    LoginForm,
    RoleGrantForm,
    UserCreateForm,
)
from learnapp.accounts.models import User
from learnapp.accounts.queries import (
    AWAITING_LIST_LIMIT,
    accounts_awaiting_password,
    awaiting_batches,
    disabled_holders_with_roles,
    users_by_ids,
    users_matching,
)
from learnapp.accounts.services.logins import (
    authenticate,
    locked_usernames,
    login_lock,
    unlock_account,
)
from learnapp.accounts.services.passwords import (
    ISSUE_LIMIT,
    change_password,
    generate_password,
    issue_initial_passwords,
    reset_password,
)
from learnapp.accounts.services.sessions import end_session, start_session
from learnapp.accounts.services.users import create_user, normalize_username, set_active
from learnapp.accounts.sheets import initial_passwords_download
from learnapp.authz import ADMIN, LOGGED_IN, PUBLIC, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.extensions import limiter
from learnapp.forms import EmptyForm
from learnapp.orgs.forms import unit_choices
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment, Unit
from learnapp.orgs.queries import pickable_units, units_in_scope
from learnapp.orgs.roles import grant_role, revoke_role, roles_text
from learnapp.redirects import safe_next

bp = Blueprint("accounts", __name__)
USERS_PAGE = 50


def _login(user: User) -> None:
    # A fresh cookie session on login: no fixation, and a new CSRF token.
    cookie_session.clear()
    start_session(get_session(), user, now(), current_app.config["AUTH_SESSION_HOURS"])
    commit()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@route_policy(PUBLIC)
@limiter.limit("30 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        result = authenticate(
            session, form.username.data, form.password.data, request.remote_addr or "", now()
        )
        if result.user is not None:
            _login(result.user)
            if result.user.must_change_password:
                # A password handed over by someone else: the person sets their own first.
                return redirect(url_for("accounts.password", next=request.args.get("next")))
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        commit()  # keep the failure counters
        form.form_errors.append(result.message)
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@route_policy(LOGGED_IN)
def logout():
    end_session(get_session(), current_user.get_id(), now())
    commit()
    logout_user()
    cookie_session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/profile")
@route_policy(LOGGED_IN)
def profile():
    return render_template("accounts/profile.html", form=EmptyForm())


@bp.route("/profile/password", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def password():
    form = ChangePasswordForm()
    forced = current_user.must_change_password
    if form.validate_on_submit():
        try:
            change_password(
                get_session(),
                current_user,
                form.current_password.data,
                form.new_password.data,
                now(),
                current_app.config["AUTH_SESSION_HOURS"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            user = current_user._get_current_object()
            commit()
            login_user(user)  # the new login session replaces the ended ones
            flash(_("Your password has been changed. Other devices are logged out."), "success")
            if forced:
                return redirect(safe_next(request.args.get("next"), url_for("home.index")))
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/password.html", form=form, forced=forced
    ), 400 if form.errors else 200


# --- user administration (admins) -----------------------------------------------------------


@bp.get("/admin/users")
@route_policy(ADMIN)
def users():
    session = get_session()
    search = request.args.get("q", "").strip()[:50]
    page = strict_int_arg("page") or 1
    query = users_matching(search, disabled_only=request.args.get("inactive") == "1")
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(User.username).limit(USERS_PAGE).offset((page - 1) * USERS_PAGE)
    ).all()
    pages = max(1, -(-total // USERS_PAGE))
    return render_template(
        "accounts/users.html",
        users=rows,
        total=total,
        page=page,
        pages=pages,
        search=search,
        locked=locked_usernames(session, [user.username for user in rows], now()),
        disabled_holders=disabled_holders_with_roles(session),
        form=EmptyForm(),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@route_policy(ADMIN)
def user_new():
    session = get_session()
    form = UserCreateForm()
    form.unit_id.choices = [
        SelectChoice(0, _("— no unit —")),
        *unit_choices(pickable_units(session, current_user, members_only=True)),
    ]
    if form.validate_on_submit():
        username = normalize_username(form.username.data)
        password = generate_password(username) if form.with_password.data else None
        try:
            user = create_user(
                session,
                current_user,
                username=username,
                display_name=form.display_name.data,
                unit=session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
                category=MemberCategory(form.category.data),
                phone=form.phone.data,
                password=password,
                must_change_password=True,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            if password:
                flash(
                    _(
                        "Account %(name)s created. Its password, shown only this once: %(pw)s",
                        name=user.username,
                        pw=password,
                    ),
                    "warning",
                )
            else:
                flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_new.html", form=form), 400 if form.errors else 200


def _batch_arg() -> datetime | None:
    """The `batch` query argument: the creation instant of a batch of accounts (400 if bad)."""
    raw = request.args.get("batch", "")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        abort(400)
    if value.tzinfo is None:
        abort(400)
    return value


@bp.route("/admin/users/initial-passwords", methods=["GET", "POST"])
@route_policy(ADMIN)
def initial_passwords():
    """Accounts still awaiting a password of their own (imported members have none); the chosen
    ones get random initial passwords, downloaded once as a sheet to hand out."""
    session = get_session()
    unit_id = strict_int_arg("unit")
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    batch = _batch_arg()
    form = InitialPasswordsForm()
    if form.validate_on_submit():
        ids = set(form.user_ids.data)
        users = users_by_ids(session, list(ids))
        if len(users) != len(ids):
            abort(404)
        issued_at = now()
        try:
            issued = issue_initial_passwords(session, current_user, users, issued_at)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            return initial_passwords_download(issued, form.file_format.data, issued_at)
    accounts = accounts_awaiting_password(session, unit=unit, created_at=batch)
    return render_template(
        "accounts/initial_passwords.html",
        form=form,
        accounts=accounts,
        list_limit=AWAITING_LIST_LIMIT,
        batches=awaiting_batches(session, unit=unit),
        units=units_in_scope(session, current_user),
        unit=unit,
        batch=batch,
        # Coming from an import (a batch) or a unit, the list is what the admin wants issued.
        preselect=not form.errors and (batch is not None or unit is not None),
        limit=ISSUE_LIMIT,
    ), 400 if form.errors else 200


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/users/<int:user_id>")
@route_policy(ADMIN)
def user_detail(user_id):
    user = _user_or_404(user_id)
    form = RoleGrantForm()
    form.unit_id.choices = unit_choices(pickable_units(get_session(), current_user))
    return render_template(
        "accounts/user_detail.html",
        user=user,
        held_roles=roles_text(user.roles),
        grant_form=form,
        form=EmptyForm(),
        lock=login_lock(get_session(), user, now()),
    )


@bp.post("/admin/users/<int:user_id>/active")
@route_policy(ADMIN)
def user_active(user_id):
    user = _user_or_404(user_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            withdrawn = set_active(
                get_session(), current_user, user, request.form.get("active") == "1", now()
            )
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            roles = roles_text(withdrawn)
            commit()
            if user.is_active:
                flash(
                    _("Account %(name)s enabled: it can log in again.", name=user.username),
                    "success",
                )
            else:
                flash(
                    _("Account %(name)s disabled: its sessions ended.", name=user.username),
                    "success",
                )
                if roles:
                    flash(_("Its roles were withdrawn: %(roles)s.", roles=roles), "info")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/reset-password")
@route_policy(ADMIN)
def user_reset_password(user_id):
    user = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        password = reset_password(get_session(), current_user, user, now())
        commit()
        flash(
            _(
                "New password for %(name)s, shown only this once: %(pw)s",
                name=user.username,
                pw=password,
            ),
            "warning",
        )
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/unlock")
@route_policy(ADMIN)
def user_unlock(user_id):
    user = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        try:
            unlock_account(get_session(), current_user, user, now())
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            commit()
            flash(
                _("Account %(name)s unlocked: it can log in again.", name=user.username), "success"
            )
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/roles")
@route_policy(ADMIN)
def user_grant_role(user_id):
    session = get_session()
    user = _user_or_404(user_id)
    form = RoleGrantForm()
    form.unit_id.choices = unit_choices(pickable_units(session, current_user))
    if form.validate_on_submit():
        try:
            grant_role(
                session,
                current_user,
                user,
                session.get(Unit, form.unit_id.data),
                Role(form.role.data),
                now(),
            )
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            commit()
            flash(_("Role granted."), "success")
    else:
        flash(_("Choose a role and a unit."), "danger")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/roles/<int:assignment_id>/revoke")
@route_policy(ADMIN)
def role_revoke(assignment_id):
    session = get_session()
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None:
        abort(404)
    user_id = assignment.user_id
    if EmptyForm().validate_on_submit():
        try:
            revoke_role(session, current_user, assignment, now())
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            commit()
            flash(_("Role removed."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user_id))
