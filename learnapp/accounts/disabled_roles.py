"""Roles left on disabled accounts: the accounts page lists the disabled accounts that still
hold roles (disabled before disabling withdrew every role), and an administrator withdraws them
here, each role audited as disabling withdraws one."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.accounts.models import User
from learnapp.accounts.services.users import withdraw_roles_of_disabled
from learnapp.accounts.views import bp
from learnapp.authz import ADMIN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.orgs.roles import roles_text


@bp.post("/admin/users/<int:user_id>/withdraw-roles")
@route_policy(ADMIN)
def disabled_roles_withdraw(user_id):
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        withdrawn = withdraw_roles_of_disabled(session, current_user, user, now())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        roles = roles_text(withdrawn)
        commit()
        if roles:
            flash(
                _("Roles of %(name)s withdrawn: %(roles)s.", name=user.display_name, roles=roles),
                "success",
            )
        else:
            flash(_("%(name)s holds no role any more.", name=user.display_name), "info")
    return redirect(url_for("accounts.users"))
