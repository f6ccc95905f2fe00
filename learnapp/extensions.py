"""Flask extensions, created unbound; `create_app` calls their `init_app`.

Flask-Login and Flask-WTF are subclassed only to skip work that every request paid for and that
this app's configuration makes useless (bench/RESULTS.md, issue 3); what they check is unchanged.
"""

import flask_login
import flask_wtf.csrf
from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The only bodies werkzeug parses into request.form; any other body leaves it empty.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class LoginManager(flask_login.LoginManager):
    """Flask-Login's manager, without hashing the client's address and user agent (SHA-512) on
    every request when session protection is off.

    Protection is off in this app (web.init_app): a login is a server-side AuthSession row that
    expires, is revoked on logout, password change or disabling, and is replaced at each login,
    so the cookie is worth nothing once the row is ended; binding it to the address as well
    would log members out whenever a phone changes network. Flask-Login computes the hash
    before it reads the setting; with protection on, its own check runs as before.
    """

    def _session_protection_failed(self):
        mode = current_app.config.get("SESSION_PROTECTION", self.session_protection)
        if mode not in ("basic", "strong"):
            return False
        return super()._session_protection_failed()


class CSRFProtect(flask_wtf.csrf.CSRFProtect):
    """Flask-WTF's CSRF protection; for a request whose body is not a form (the JSON endpoints)
    the token is looked for in the headers only, without first parsing an empty request.form.
    The token found is validated exactly as before (signature, and equal to the session's)."""

    def _get_csrf_token(self):
        if request.mimetype in FORM_MIMETYPES:
            return super()._get_csrf_token()
        for header_name in current_app.config["WTF_CSRF_HEADERS"]:
            token = request.headers.get(header_name)
            if token:
                return token
        return None


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def rate_limit_free(view):
    """Exempt a view from every rate limit (Flask-Limiter's `exempt`: no default, application or
    meta limit applies to it) and let the limiter skip its per-request search for limits, which
    costs ~0.04 ms a request even when it finds none (bench/RESULTS.md, issue 3). Goes directly
    under the route decorator."""
    view = limiter.exempt(view)
    view.rate_limit_free = True
    return view


@limiter.request_filter
def _rate_limit_free_view() -> bool:
    """Flask-Limiter's public request filter: True skips every limit for this request."""
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "rate_limit_free", False)
