"""Request plumbing shared by every blueprint: security headers, locale, template helpers, CLI."""

from flask import has_request_context, request
from flask_login import current_user

from learnapp.extensions import login_manager

LOCALES = ("zh_Hans", "en")
LANG_COOKIE = "learnapp_lang"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str:
    if not has_request_context():
        return "zh_Hans"
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LOCALES else "zh_Hans"


def mask_phone(phone: str | None) -> str:
    """138****0000: enough to recognise, not enough to use (DOMAIN.md, sensitive data)."""
    if not phone:
        return ""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * max(len(digits) - 7, 1) + digits[-4:]


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side rows (accounts.models)

    @login_manager.user_loader
    def load_user(auth_session_id):
        from learnapp.accounts.services import load_session_user
        from learnapp.clock import now
        from learnapp.db import get_session

        return load_session_user(get_session(), auth_session_id, now())

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["ENV_NAME"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user and getattr(current_user, "is_authenticated", False):
            # Pages of a logged-in person are personal: no shared or back-button caches.
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def template_helpers():
        from learnapp.orgs.labels import category_label, role_label, unit_kind_label

        return {
            "mask_phone": mask_phone,
            "category_label": category_label,
            "role_label": role_label,
            "unit_kind_label": unit_kind_label,
            "current_locale": select_locale,
        }


def register_cli(app) -> None:
    from learnapp.cli import db_cli, demo_cli, users_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
