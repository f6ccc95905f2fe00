"""Domain errors and the HTTP error pages."""

import logging

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule was violated. `field` names the form field the message belongs to (or None)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def apply_domain_error(form, error: DomainError) -> None:
    """Put a service's DomainError on the matching form field, or on the form itself."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("Your roles do not allow this page."),
    404: _l("There is nothing here, or it is outside your organisation."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The uploaded file is larger than the limit."),
    429: _l("Too many attempts in a short time. Please wait a while and try again."),
    500: _l("The error has been logged. Please try again later."),
}


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def render_error(code: int, message=None):
    message = message or _MESSAGES.get(code, "")
    if wants_json():
        return {"error": str(message)}, code
    return render_template(
        "errors/error.html", code=code, title=_TITLES.get(code, ""), message=message
    ), code


def register_error_handlers(app) -> None:
    for code in _TITLES:
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _l(
                "The form was not accepted because its security token is missing or stale. "
                "Go back, reload the page and send it again."
            ),
        )

    @app.errorhandler(Exception)
    def last_resort(error):
        # Last-resort handler: log with the stack, show nothing internal (ASVS 16.5.4).
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return render_error(error.code or 500)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
