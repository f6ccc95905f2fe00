"""Health, security headers, translations, templates and demo data."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from itsdangerous import BadSignature

from learnapp import create_app
from learnapp.accounts.models import User
from learnapp.i18n_check import LOCALES, missing
from learnapp.orgs.models import Role, Unit, UnitKind
from learnapp.web import SECURITY_HEADERS, content_disposition, download_fallback
from tests.conftest import TEST_SETTINGS
from tests.world import build_world

TEMPLATES = Path(__file__).parent.parent / "templates"


def test_health_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            **TEST_SETTINGS,
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/nope.db",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("会议纪要.pdf", "attachment-12.pdf"),  # Werkzeug's own fallback: ".pdf"
        ("2024年第一次支部大会.JPG", "attachment-12.JPG"),
        ('minutes "draft".pdf', "attachment-12.pdf"),
        ("a;b%20.png", "attachment-12.png"),
        ("会议纪要", "attachment-12"),
        ("会议纪要.文档", "attachment-12"),
        ("minutes 2024-03 (v2).pdf", "minutes 2024-03 (v2).pdf"),
    ],
)
def test_a_download_falls_back_to_a_name_saying_what_it_is(name, fallback):
    assert download_fallback(name, "attachment-12") == fallback


def test_the_download_header_keeps_the_exact_name_in_filename_star():
    header = content_disposition('党章 "学习"\r\n.pdf', "lesson-media-3.pdf", inline=True)
    assert header == (
        'inline; filename="lesson-media-3.pdf"; '
        "filename*=UTF-8''%E5%85%9A%E7%AB%A0%20%22%E5%AD%A6%E4%B9%A0%22%0D%0A.pdf"
    )
    assert content_disposition("名单.csv", "list.csv").startswith('attachment; filename="list.csv"')


def test_security_headers_are_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_logged_in_pages_are_not_cached(auth, session):
    build_world(session)
    auth.login("mema")
    assert auth.client.get("/").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_scripts_styles_or_handlers():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_template_attributes_are_quoted():
    unquoted = re.compile(r"\s[a-z-]+=\{\{")
    for path in TEMPLATES.rglob("*.html"):
        assert not unquoted.search(path.read_text(encoding="utf-8")), path


def test_every_template_with_messages_is_extracted():
    """The extractor skips folders whose name starts with _ or a dot: a template there would
    keep its messages out of the catalogues unnoticed."""
    root = TEMPLATES.parent
    visited = {
        filename
        for filename, _lineno, _message, _comments, _context in extract_from_dir(
            str(root), method_map=[("templates/**.html", "jinja2")]
        )
    }
    with_messages = {
        str(path.relative_to(root))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\b_\(|\bngettext\(", path.read_text(encoding="utf-8"))
    }
    assert with_messages - visited == set()


def test_both_catalogues_are_complete():
    for locale in LOCALES:
        assert missing(locale) == [], locale


def test_pages_render_in_english_too(auth, session):
    build_world(session)
    auth.login("admin")
    auth.client.set_cookie("learnapp_lang", "en")
    auth.post("/language", {"locale": "en", "next": "/"})
    for path in ("/", "/units", "/admin/users", "/admin/audit", "/admin/jobs", "/profile"):
        page = auth.client.get(path).get_data(as_text=True)
        assert 'lang="en"' in page, path
        assert "Party theory study" in page, path


def test_chinese_is_the_default_language(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert "党员理论学习" in page


def test_language_choice_is_stored_on_the_user(auth, session):
    world = build_world(session)
    auth.login("mema")
    auth.post("/language", {"locale": "en", "next": "/profile"})
    session.expire_all()
    assert session.get(User, world.member_a.id).locale == "en"


def test_unknown_language_is_ignored(auth, session):
    build_world(session)
    auth.login("mema")
    response = auth.post("/language", {"locale": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_demo_seed_builds_the_organisation_and_accounts(runner, session):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    units = session.scalars(sa.select(Unit)).all()
    assert sum(unit.kind == UnitKind.BRANCH for unit in units) == 6
    assert sum(unit.kind == UnitKind.GENERAL_BRANCH for unit in units) == 2
    assert sum(unit.kind == UnitKind.COMMITTEE for unit in units) == 1
    members = session.scalar(sa.select(sa.func.count()).select_from(User))
    assert 75 <= members <= 90
    secretary = session.scalar(sa.select(User).where(User.username == "demo-secretary"))
    assert secretary.has_role(Role.SECRETARY)
    again = runner.invoke(args=["demo", "seed"])
    assert "already" in again.output
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == members


def test_demo_members_post_on_every_demo_board_without_the_new_member_hold(app, runner, session):
    from learnapp.discussions.models import Board, PostState
    from learnapp.discussions.services.posts import create_thread, rules_from_config

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    member = session.scalar(sa.select(User).where(User.username == "demo-member"))
    now = app.config["CLOCK"]()
    boards = session.scalars(sa.select(Board)).all()
    assert boards
    states = set()
    for board in boards:
        with app.test_request_context():
            thread = create_thread(
                session,
                member,
                board,
                title="学习党章的一点体会",
                body="第二章党员的义务，我重新读了一遍。",
                now=now,
                rules=rules_from_config(app.config),
            )
        states.add(thread.state)
    assert states == {PostState.PUBLISHED}


def test_demo_seed_refuses_in_production(app, runner):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_audit_log_records_and_filters(auth, session):
    world = build_world(session)
    auth.login("admin")
    auth.post(f"/admin/users/{world.member_b.id}/active", {"active": "0"})
    page = auth.client.get("/admin/audit?action=user.disabled").get_data(as_text=True)
    link = f'href="/admin/users/{world.member_b.id}"'
    assert 'title="user.disabled"' in page
    assert link in page
    empty = auth.client.get("/admin/audit?action=unit.created").get_data(as_text=True)
    assert link not in empty


def test_session_member_views_load_the_light_member_for_json_only(app, auth, session):
    from flask_login import current_user

    from learnapp.accounts.services.sessions import SessionMember
    from learnapp.authz import LOGGED_IN, MANAGER, route_policy
    from learnapp.web import session_member_view

    build_world(session)
    seen = {}

    @app.post("/_light")
    @session_member_view
    @route_policy(LOGGED_IN)
    def light():
        seen["light"] = type(current_user._get_current_object())
        return {}

    @app.post("/_light_manager")
    @session_member_view
    @route_policy(MANAGER)
    def light_manager():
        seen["manager"] = type(current_user._get_current_object())
        return {}

    auth.login("seca")
    headers = {"X-CSRFToken": auth.csrf("/profile")}
    assert auth.client.post("/_light", json={}, headers=headers).status_code == 200
    assert seen.pop("light") is SessionMember
    # Not JSON: an HTML error page with the navigation may follow, so the full User is loaded.
    assert auth.client.post("/_light", data={}, headers=headers).status_code == 200
    assert seen.pop("light") is User
    # A policy that reads roles always gets the User.
    assert auth.client.post("/_light_manager", json={}, headers=headers).status_code == 200
    assert seen.pop("manager") is User


def _light_route(app, name: str = "_light_echo"):
    """A JSON POST view as the heartbeat's: light login, LOGGED_IN; answers the member's id."""
    from flask_login import current_user

    from learnapp.authz import LOGGED_IN, route_policy
    from learnapp.web import session_member_view

    @app.post(f"/{name}", endpoint=name)
    @session_member_view
    @route_policy(LOGGED_IN)
    def light_echo():
        return {"id": current_user.id}

    return f"/{name}"


def test_json_posts_need_the_token_of_their_own_login(app, auth, session):
    from tests.conftest import Auth

    world = build_world(session)
    path = _light_route(app)
    auth.login("mema")
    token = auth.csrf("/profile")
    other = Auth(app.test_client())
    other.login("memb")
    other_token = other.csrf("/profile")

    ok = auth.client.post(path, json={}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json() == {"id": world.member_a.id}
    refused = {
        "no token": {},
        "token in the JSON body": {"json": {"csrf_token": token}},
        "another login's token": {"headers": {"X-CSRFToken": other_token}},
        "tampered token": {"headers": {"X-CSRFToken": token[:-2] + "xx"}},
        "token signed with another key": {
            "headers": {"X-CSRFToken": token.replace(token.split(".")[-1], "A" * 27)}
        },
    }
    for case, kwargs in refused.items():
        response = auth.client.post(path, **{"json": {}, **kwargs})
        assert response.status_code == 400, case
    # Forms still carry the token as a field, and the header is accepted there too.
    assert auth.client.post(path, data={"csrf_token": token}).status_code == 200
    assert auth.client.post(path, data={}, headers={"X-CSRFToken": token}).status_code == 200
    assert auth.client.post(path, data={"csrf_token": other_token}).status_code == 400


def test_a_json_post_of_an_ended_login_is_refused(app, auth, session, clock):
    from learnapp.accounts.models import AuthSession

    build_world(session)
    path = _light_route(app)
    auth.login("mema")
    token = auth.csrf("/profile")
    assert auth.client.post(path, json={}, headers={"X-CSRFToken": token}).status_code == 200
    session.execute(sa.update(AuthSession).values(revoked_at=clock()))
    session.commit()
    response = auth.client.post(path, json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_session_cookie_is_flasks_signed_cookie(app):
    from flask.sessions import SecureCookieSessionInterface

    from learnapp.web import SessionInterface

    data = {"_user_id": "key", "csrf_token": "abc"}
    assert isinstance(app.session_interface, SessionInterface)
    ours = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is ours  # built once
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = ours.dumps(data)
    assert flasks.loads(cookie) == data and ours.loads(flasks.dumps(data)) == data
    payload, timestamp, signature = cookie.rsplit(".", 2)
    forged = f"{payload}.{timestamp}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(BadSignature):
        ours.loads(forged)
    # A new key is used at once; the old one is still accepted only as a listed fallback.
    app.config["SECRET_KEY"] = "rotated"
    with pytest.raises(BadSignature):
        app.session_interface.get_signing_serializer(app).loads(cookie)
    app.config["SECRET_KEY_FALLBACKS"] = [TEST_SETTINGS["SECRET_KEY"]]
    assert app.session_interface.get_signing_serializer(app).loads(cookie) == data


def test_a_forged_session_cookie_logs_nobody_in(app, auth, session):
    build_world(session)
    auth.login("mema")
    assert auth.client.get("/profile").status_code == 200
    cookie = auth.client.get_cookie("learnapp_session").value
    auth.client.set_cookie(
        "learnapp_session", cookie[:-3] + ("abc" if cookie[-3:] != "abc" else "xyz")
    )
    assert auth.client.get("/profile").status_code == 302


def test_security_headers_on_json_answers_keep_what_a_view_set(app, auth, session):
    build_world(session)
    path = _light_route(app)

    @app.get("/_own_csp")
    def own_csp():
        return {}, {"Content-Security-Policy": "default-src 'none'", "cache-control": "max-age=5"}

    auth.login("mema")
    token = auth.csrf("/profile")
    response = auth.client.post(path, json={}, headers={"X-CSRFToken": token})
    for name, value in (*SECURITY_HEADERS, ("Cache-Control", "no-store")):
        assert response.headers.getlist(name) == [value], name
    assert "Strict-Transport-Security" not in response.headers
    own = auth.client.get("/_own_csp")
    assert own.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert own.headers.getlist("Cache-Control") == ["max-age=5"]
    assert own.headers["X-Frame-Options"] == "DENY"
    app.config["ENV_NAME"] = "production"
    assert auth.client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_client_fingerprint_is_not_computed_while_session_protection_is_off(
    app, auth, session, monkeypatch
):
    from learnapp.extensions import login_manager

    build_world(session)
    auth.login("mema")
    calls = []
    monkeypatch.setattr(
        login_manager, "_session_identifier_generator", lambda: calls.append(1) or "fp"
    )
    assert auth.client.get("/profile").status_code == 200
    assert calls == []
    # Turned on, Flask-Login's own check runs again: "strong" ends a session whose
    # fingerprint changed.
    app.config["SESSION_PROTECTION"] = "strong"
    assert auth.client.get("/profile").status_code == 302
    assert calls


@pytest.mark.parametrize(("locale", "separator"), [("zh_Hans", "："), ("en", ": ")])
def test_a_label_is_followed_by_the_languages_own_colon(app, locale, separator):
    from flask_babel import force_locale

    from learnapp.web import label_colon

    with app.test_request_context(), force_locale(locale):
        assert label_colon() == separator
    assert "}}: " not in "".join(
        path.read_text(encoding="utf-8")
        for path in (Path(__file__).parent.parent / "templates").rglob("*.html")
    )


@pytest.mark.parametrize(
    ("size_bytes", "zh", "en"),
    [
        (1, "1 字节", "1 byte"),
        (688, "688 字节", "688 bytes"),
        (1536, "1.5 KB", "1.5 KB"),
        (1_048_064, "1,023.5 KB", "1,023.5 KB"),
        (1_048_570, "1 MB", "1 MB"),  # rounded up to 1,024 KB: shown in MB
        (500 * 2**20, "500 MB", "500 MB"),
        (5 * 2**30 + 2**29, "5.5 GB", "5.5 GB"),
        (3 * 2**40, "3,072 GB", "3,072 GB"),
    ],
)
def test_a_file_size_reads_in_the_pages_language(app, size_bytes, zh, en):
    from flask_babel import force_locale

    from learnapp.web import file_size

    with app.test_request_context():
        with force_locale("zh_Hans"):
            assert file_size(size_bytes) == zh
        with force_locale("en"):
            assert file_size(size_bytes) == en
    # Jinja's own filter speaks English only.
    assert "filesizeformat" not in "".join(
        path.read_text(encoding="utf-8") for path in TEMPLATES.rglob("*.html")
    )


def test_pages_name_their_icon_and_label_breadcrumbs_in_the_page_language(client):
    page = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page).group(1)
    with client.get(icon) as served:
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"
    templates = Path(__file__).parent.parent / "templates"
    assert not [
        p.name for p in templates.rglob("*.html") if 'aria-label="breadcrumb"' in p.read_text()
    ]


def test_a_lazy_message_prints_the_text_it_quotes_escaped(app):
    """lazy_gettext's strings claim to be markup; the name or file text they quote must not."""
    from flask import render_template_string
    from flask_babel import lazy_gettext

    message = lazy_gettext("Unit %(name)s deleted.", name="<script>alert(1)</script>")
    with app.test_request_context():
        page = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
