"""Request plumbing shared by every blueprint: security headers, locale, template helpers, CLI."""

import functools
import hashlib
import re
from urllib.parse import quote

from flask import current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_decimal, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_login import current_user
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

from learnapp.extensions import login_manager

LOCALES = ("zh_Hans", "en")
LANG_COOKIE = "learnapp_lang"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


@functools.lru_cache(maxsize=16)
def _derived_key(secret_key: bytes, salt: bytes, key_derivation: str, digest_method) -> bytes:
    return Signer(
        secret_key, salt, key_derivation=key_derivation, digest_method=digest_method
    ).derive_key()


class KeyCachingSigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving its HMAC key from the secret once per secret
    and salt instead of at every signature checked."""

    def derive_key(self, secret_key=None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(secret, self.salt, self.key_derivation, self.digest_method)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, same cookie and signature (HMAC-SHA1, key derived with
    HMAC), without rebuilding its serializer and re-deriving its key at every request. SHA-1 is
    hashlib's own: Flask's default is a Python wrapper of it, which sends the hmac module down
    its slow pure-Python path."""

    digest_method = staticmethod(hashlib.sha1)

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = URLSafeTimedSerializer(
                list(keys),  # the current key last, as itsdangerous expects
                salt=self.salt,
                serializer=self.serializer,
                signer=KeyCachingSigner,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return serializer


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


# A file name any client shows as it is: ASCII letters, digits and a few marks, and no quote,
# backslash, semicolon or percent sign that a filename= parameter could misread.
_PLAIN_FILE_NAME = re.compile(r"\w[\w.()+ -]*", re.ASCII)
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


def download_fallback(filename: str, stem: str) -> str:
    """The ASCII name a download gives clients that read only filename=: `filename` itself when
    it is plain ASCII, else `stem` (an ASCII name saying what the file is, "attachment-12") with
    the extension of `filename`. Werkzeug's own fallback drops every Chinese character: a file
    named 会议纪要.pdf would reach them as ".pdf"."""
    if _PLAIN_FILE_NAME.fullmatch(filename):
        return filename
    _name, dot, extension = filename.rpartition(".")
    return f"{stem}.{extension}" if dot and _EXTENSION.fullmatch(extension) else stem


def content_disposition(filename: str, fallback: str, *, inline: bool = False) -> str:
    """The Content-Disposition of a download (RFC 6266): the exact name, in any script, in
    filename* (UTF-8, percent-encoded: no header injection), and `fallback`, an ASCII name
    (download_fallback), in filename= for the clients that ignore filename*."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def session_member_view(view):
    """Mark a JSON view that needs of the logged-in person only what accounts.SessionMember
    holds (id, category, unit path, locale, whether the password must be changed first): its
    JSON requests load that, in one query, instead of the User with its unit and roles. Only
    with the LOGGED_IN policy, which reads nothing of the user; requests that are not JSON
    (and so may render an HTML error page with the navigation) load the User as every other
    page."""
    view.learnapp_session_member = True
    return view


def _wants_session_member() -> bool:
    from learnapp.authz import LOGGED_IN, policy_of

    if not has_request_context() or not request.is_json:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "learnapp_session_member", False) and policy_of(view) is LOGGED_IN


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    # Sessions are server-side rows (accounts.models); see extensions.LoginManager.
    login_manager.session_protection = None
    app.session_interface = SessionInterface()
    app.jinja_env.finalize = _escaped_lazy_text
    app.add_template_filter(file_size)

    @login_manager.user_loader
    def load_user(auth_session_id):
        from learnapp.accounts.services.sessions import load_session_member, load_session_user
        from learnapp.clock import now
        from learnapp.db import get_session

        if _wants_session_member():
            return load_session_member(get_session(), auth_session_id, now())
        return load_session_user(get_session(), auth_session_id, now())

    @app.after_request
    def security_headers(response):
        wanted = list(SECURITY_HEADERS)
        if app.config["ENV_NAME"] == "production":
            wanted.append(("Strict-Transport-Security", "max-age=31536000"))
        if current_user and getattr(current_user, "is_authenticated", False):
            # Pages of a logged-in person are personal: no shared or back-button caches.
            wanted.append(("Cache-Control", "no-store"))
        # What a view set itself is kept. One pass over the few headers present: werkzeug's
        # setdefault scans them all and raises a KeyError for each header it then adds.
        present = {name.lower() for name, _value in response.headers}
        response.headers.extend(
            [(name, value) for name, value in wanted if name.lower() not in present]
        )
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
            "label_colon": label_colon,
        }


def _escaped_lazy_text(value):
    """A translated message made with lazy_gettext says it is markup (LazyString.__html__), so
    Jinja would print the text it quotes (a file's line, a name someone typed) unescaped. Every
    {{ }} output of one is printed as the plain text it is, and escaped."""
    return str(value) if isinstance(value, LazyString) else value


def label_colon() -> str:
    """The separator between a label and its value ("Source: …"): full-width in Chinese."""
    return pgettext("separator after a label", ": ")


def file_size(size_bytes: int) -> str:
    """A file's size in the reader's language and number format: bytes below 1 KB, else KB, MB
    or GB (of 1024) to one decimal ("688 字节", "1.5 MB"; "688 bytes", "1,023.5 KB")."""
    if size_bytes < 1024:
        return ngettext(
            "%(size)s byte", "%(size)s bytes", size_bytes, size=format_decimal(size_bytes)
        )
    steps = 1  # of 1024: KB, MB, GB
    # Compared as shown, rounded: 1,048,570 bytes read "1 MB", never "1,024 KB".
    while steps < 3 and round(size_bytes / 1024**steps, 1) >= 1024:
        steps += 1
    size = format_decimal(round(size_bytes / 1024**steps, 1), format="#,##0.#")
    if steps == 1:
        return _("%(size)s KB", size=size)
    if steps == 2:
        return _("%(size)s MB", size=size)
    return _("%(size)s GB", size=size)


def register_cli(app) -> None:
    from learnapp.cli import db_cli, demo_cli, users_cli
    from learnapp.rerender import content_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(content_cli)
