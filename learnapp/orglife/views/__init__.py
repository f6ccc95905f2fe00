"""The orglife blueprint, the helpers its pages share, and its route modules."""

from flask import Blueprint, abort, send_file
from flask_login import current_user

from learnapp.authz import require_unit
from learnapp.db import get_session
from learnapp.orglife import files
from learnapp.orgs.models import Unit
from learnapp.web import content_disposition, download_fallback

bp = Blueprint("orglife", __name__, url_prefix="/orglife")


def unit_or_404(unit_id: int) -> Unit:
    """The unit if the current user manages it, else 404."""
    return require_unit(current_user, get_session().get(Unit, unit_id))


def send_stored(stored_name, content_type, display_name, fallback_stem):
    """A stored upload sent as an attachment under its display name, and under `fallback_stem`
    with its extension for clients that read only an ASCII name; 404 if it is missing. Minutes
    and certificates are personal: never kept by a browser or a shared cache (send_file's own
    `no-cache` would let them be stored)."""
    try:
        path = files.path_of(stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=content_type)
    response.headers["Content-Disposition"] = content_disposition(
        display_name, download_fallback(display_name, fallback_stem)
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


from learnapp.orglife.views import claims, compliance, meetings  # noqa: E402,F401  (routes on bp)
