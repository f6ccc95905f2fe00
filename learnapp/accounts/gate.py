"""The forced password change: a person logged in with a password someone else handed them
(User.must_change_password) reaches only the change-password page until they set their own."""

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from learnapp.errors import wants_json

# What stays open: setting the password itself, leaving, the language switch and the files the
# page needs.
OPEN_ENDPOINTS = frozenset({"accounts.password", "accounts.logout", "home.set_language", "static"})
MUST_CHANGE_PASSWORD = _l("Set a password of your own before you continue.")


def require_own_password():
    """Before every request: redirect pages to the change-password page (coming back to the
    page afterwards), and answer JSON requests 403 with a message."""
    if request.endpoint is None or request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if wants_json():
        return {"error": str(MUST_CHANGE_PASSWORD)}, 403
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.password", next=target))
