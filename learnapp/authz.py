"""Authorisation: the route policies every view declares, and organisation scopes.

Two levels. A route policy says who may use a route at all (403 otherwise); every view carries
exactly one, and a test walks the URL map so a route without one fails the suite. Scope checks
say whether an object is inside the caller's organisation subtree; outside it answers 404, so
ids of other branches cannot be probed.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, request
from flask_login import current_user

from learnapp.db import within_path


@dataclass(frozen=True)
class Policy:
    name: str
    allows: Callable  # (user) -> bool; the user is authenticated
    public: bool = False


PUBLIC = Policy("public", lambda user: True, public=True)
LOGGED_IN = Policy("logged_in", lambda user: True)
MANAGER = Policy("manager", lambda user: user.is_manager)
ADMIN = Policy("admin", lambda user: user.is_admin)
# Question bank roles are held in a unit; which banks they reach is a scope check.
BANK_EDITOR = Policy("bank_editor", lambda user: user.is_admin or user.has_role("bank_editor"))
BANK_REVIEWER = Policy("bank_reviewer", lambda user: user.is_admin or user.has_role("reviewer"))
BANK_STAFF = Policy(
    "bank_staff",
    lambda user: user.is_admin or user.has_role("bank_editor") or user.has_role("reviewer"),
)
POLICIES = (PUBLIC, LOGGED_IN, MANAGER, ADMIN, BANK_EDITOR, BANK_REVIEWER, BANK_STAFF)


def route_policy(policy: Policy):
    """Declare and enforce who may use a view."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not policy.public:
                if not current_user.is_authenticated:
                    from learnapp.extensions import login_manager

                    return login_manager.unauthorized()
                if not policy.allows(current_user):
                    abort(403)
            return view(*args, **kwargs)

        wrapper.learnapp_policy = policy
        return wrapper

    return decorate


def policy_of(view) -> Policy | None:
    return getattr(view, "learnapp_policy", None)


def scope_paths(user) -> list[str]:
    """Paths of the subtrees the user manages; the admin's root units cover everything."""
    return [unit.path for unit in user.managed_units]


def unit_in_scope_clause(user, path_column):
    """SQL condition: the row's unit path lies in one of the user's managed subtrees."""
    if user.is_admin:
        return sa.true()
    paths = scope_paths(user)
    if not paths:
        return sa.false()
    return sa.or_(*(within_path(path_column, path) for path in paths))


def can_manage_unit(user, unit) -> bool:
    return can_manage_path(user, unit.path)


def can_manage_path(user, unit_path: str) -> bool:
    """Whether the unit with this materialised path lies in a subtree the user manages."""
    if user.is_admin:
        return True
    return any(unit_path.startswith(path) for path in scope_paths(user))


def require_unit(user, unit):
    """The unit if the user manages it, else 404."""
    if unit is None or not can_manage_unit(user, unit):
        abort(404)
    return unit


def require_member(user, member):
    """The member if they sit in a unit the user manages, else 404."""
    if member is None:
        abort(404)
    if user.is_admin:
        return member
    if member.unit is None or not can_manage_unit(user, member.unit):
        abort(404)
    return member


def strict_int_arg(name: str) -> int | None:
    """A query-string integer: one ASCII decimal value, else 400 (security.md §6.4 #60)."""
    values = request.args.getlist(name)
    if not values or values == [""]:
        return None
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
        abort(400)
    if len(values[0]) > 12:
        abort(400)
    return int(values[0])
