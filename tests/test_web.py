"""Health, security headers, translations, templates and demo data."""

import re
from pathlib import Path

import sqlalchemy as sa

from learnapp import create_app
from learnapp.accounts.models import User
from learnapp.i18n_check import LOCALES, missing
from learnapp.orgs.models import Role, Unit, UnitKind
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
    assert "user.disabled" in page
    assert f"user #{world.member_b.id}" in page
    empty = auth.client.get("/admin/audit?action=unit.created").get_data(as_text=True)
    assert f"user #{world.member_b.id}" not in empty
