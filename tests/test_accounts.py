import re

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import AuthSession, LoginThrottle, User
from learnapp.accounts.passwords import password_problem
from learnapp.accounts.services.logins import (
    ACCOUNT_FAILURE_LIMIT,
    authenticate,
    login_lock,
    purge_expired_logins,
)
from learnapp.accounts.services.passwords import reset_password
from learnapp.accounts.services.sessions import (
    SessionMember,
    load_session_member,
    load_session_user,
)
from learnapp.accounts.services.users import normalize_username
from learnapp.audit.models import AuditEntry
from tests.factories import PASSWORD, make_user
from tests.world import build_world

CSRF_VALUE = re.compile(r'(?<=content=")[\w.-]{40,}(?=")|(?<=value=")[\w.-]{40,}(?=")')


def test_login_with_the_right_password_reaches_the_home_page(client, auth, session):
    make_user(session, username="alice", display_name="王芳")
    session.commit()
    response = auth.login("alice")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "王芳" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_answer(auth, session):
    make_user(session, username="alice")
    session.commit()
    wrong = auth.login("alice", "not the password")
    unknown = auth.login("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("alert-danger") == 1
    # The CSRF tokens carry a timestamp, so two responses a second apart differ only there.
    unknown_page = CSRF_VALUE.sub("", unknown.get_data(as_text=True))
    assert unknown_page.replace("nobody", "alice") == CSRF_VALUE.sub(
        "", wrong.get_data(as_text=True)
    )


def test_account_locks_after_repeated_failures_even_with_the_right_password(ctx, session, clock):
    user = make_user(session, username="alice")
    session.commit()
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        result = authenticate(session, "alice", "wrong", "10.0.0.1", clock())
        assert result.user is None
    session.commit()
    locked = authenticate(session, "alice", PASSWORD, "10.0.0.2", clock())
    assert locked.user is None
    assert "15" in str(locked.message)
    clock.advance(minutes=16)
    assert authenticate(session, "alice", PASSWORD, "10.0.0.2", clock()).user == user


def test_unknown_account_names_lock_out_too_so_locking_reveals_nothing(ctx, session, clock):
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        authenticate(session, "ghost", "x", "10.0.0.1", clock())
    assert "15" in str(authenticate(session, "ghost", "x", "10.0.0.3", clock()).message)


def test_failure_counters_are_kept_in_the_database(auth, session):
    auth.login("alice", "wrong")
    keys = set(session.scalars(sa.select(LoginThrottle.key)))
    assert keys == {"user:alice", "addr:127.0.0.1"}


def test_logout_ends_the_server_side_session(client, auth, session):
    make_user(session, username="alice")
    session.commit()
    auth.login("alice")
    cookie = client.get_cookie("learnapp_session").value
    assert auth.logout().status_code == 302
    client.set_cookie("learnapp_session", cookie)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert session.scalar(sa.select(AuthSession.revoked_at)) is not None


def test_changing_the_password_logs_out_other_devices(app, auth, session):
    make_user(session, username="alice")
    session.commit()
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login("alice")
    auth.login("alice")
    response = auth.post(
        "/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": "a much longer phrase",
            "confirm": "a much longer phrase",
        },
    )
    assert response.status_code == 302
    assert auth.client.get("/profile").status_code == 200
    assert other.get("/profile").status_code == 302
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


def test_password_change_with_a_common_password_is_refused(auth, session):
    make_user(session, username="alice")
    session.commit()
    auth.login("alice")
    response = auth.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "password123", "confirm": "password123"},
    )
    assert response.status_code == 400
    assert "过于常见" in response.get_data(as_text=True)
    session.expire_all()
    user = session.scalar(sa.select(User).where(User.username == "alice"))
    assert user.password_changed_at is None


def test_password_rules():
    assert password_problem("short") is not None
    assert password_problem("x" * 129) is not None
    assert password_problem("qwerty123") is not None
    assert password_problem("alice-in-town", "alice-in-town") is not None
    assert password_problem("correct horse battery", "alice") is None
    assert password_problem("碧海蓝天望长城") is not None  # 7 characters
    assert password_problem("碧海蓝天万里望长城") is None


def test_usernames_are_normalised_against_lookalikes():
    assert normalize_username(" ＡＤ\u200dmin ") == "admin"


def test_next_redirect_stays_on_the_site(auth, session):
    make_user(session, username="alice")
    session.commit()
    for target in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        token = auth.csrf("/login")
        response = auth.client.post(
            f"/login?next={target}",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == "/", target
        auth.logout()
    token = auth.csrf("/login")
    response = auth.client.post(
        "/login?next=/profile",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/profile"


def test_a_post_without_csrf_token_is_refused(client, session):
    make_user(session, username="alice")
    session.commit()
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/profile").status_code == 302


def test_overlong_login_fields_get_a_message(auth):
    response = auth.login("a" * 5000, "b" * 5000)
    assert response.status_code == 400
    assert "64" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(auth, session):
    make_user(session, username="alice")
    session.commit()
    response = auth.login("alice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires" not in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from learnapp.config import load_settings

    monkeypatch.setenv("LEARNAPP_ENV", "production")
    monkeypatch.setenv("LEARNAPP_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LEARNAPP_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SECRET_KEY"] == "from-the-environment"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    import pytest

    from learnapp.config import ConfigError, load_settings

    monkeypatch.setenv("LEARNAPP_ENV", "production")
    monkeypatch.delenv("LEARNAPP_SECRET_KEY", raising=False)
    monkeypatch.setenv("LEARNAPP_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError):
        load_settings()


def test_development_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    from learnapp.config import load_settings

    monkeypatch.delenv("LEARNAPP_SECRET_KEY", raising=False)
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    monkeypatch.setenv("LEARNAPP_DATA_DIR", str(tmp_path))
    first = load_settings()["SECRET_KEY"]
    assert load_settings()["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_profile_shows_a_masked_phone(client, auth, session):
    make_user(session, username="alice", phone="13812345678")
    session.commit()
    auth.login("alice")
    page = client.get("/profile").get_data(as_text=True)
    assert "138****5678" in page
    assert "13812345678" not in page


def test_create_admin_prints_a_password_once(app, runner, session):
    result = runner.invoke(args=["users", "create-admin", "chief"])
    assert result.exit_code == 0, result.output
    password = result.output.rsplit(": ", 1)[1].strip()
    user = session.scalar(sa.select(User).where(User.username == "chief"))
    assert user.is_admin
    from learnapp.accounts.passwords import verify_password

    with app.app_context():
        assert verify_password(user.password_hash, password)
    again = runner.invoke(args=["users", "create-admin", "chief"])
    assert again.exit_code != 0
    assert "已被使用" in again.output


def test_admin_creates_an_account_and_sees_its_password_once(client, auth, session):
    world = build_world(session)
    auth.login("admin")
    response = auth.post(
        "/admin/users/new",
        {
            "username": "NewPerson",
            "display_name": "新同志",
            "unit_id": world.branch_b.id,
            "category": "activist",
            "phone": "",
            "with_password": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "newperson" in response.get_data(as_text=True)
    created = session.scalar(sa.select(User).where(User.username == "newperson"))
    assert created.unit_id == world.branch_b.id
    assert created.password_hash


def test_admin_account_creation_refuses_a_taken_name_and_stores_nothing(auth, session):
    build_world(session)
    auth.login("admin")
    before = session.scalar(sa.select(sa.func.count()).select_from(User))
    response = auth.post(
        "/admin/users/new",
        {"username": "mema", "display_name": "重名", "unit_id": 0, "category": "full"},
    )
    assert response.status_code == 400
    assert "已被使用" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_admin_account_creation_shows_the_user_name_and_phone_errors_together(auth, session):
    build_world(session)
    auth.login("admin")
    before = session.scalar(sa.select(sa.func.count()).select_from(User))
    response = auth.post(
        "/admin/users/new",
        {
            "username": "Zhang San",
            "display_name": "张三",
            "unit_id": 0,
            "category": "full",
            "phone": "12345",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "只能使用小写字母" in page and "手机号码格式不正确" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_disabling_an_account_ends_its_sessions(app, auth, session):
    world = build_world(session)
    from tests.conftest import Auth

    victim = app.test_client()
    Auth(victim).login("memb")
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert "data-confirm" in page.split("/active")[1].split(">")[0]  # asked before disabling
    response = auth.post(f"/admin/users/{world.member_b.id}/active", {"active": "0"})
    assert response.status_code == 302
    flashed = re.search(
        r'role="alert">\s*(.*?)\s*<button',
        auth.client.get(response.location).get_data(as_text=True),
    )
    assert "memb" in flashed.group(1)
    assert victim.get("/profile").status_code == 302
    assert Auth(app.test_client()).login("memb").status_code == 400


def test_purge_removes_only_finished_sessions(app, session, clock):
    from datetime import timedelta

    user = make_user(session)
    now = clock()
    session.add_all(
        [
            AuthSession(
                id="old",
                user_id=user.id,
                created_at=now - timedelta(days=3),
                expires_at=now - timedelta(days=2),
            ),
            AuthSession(
                id="live", user_id=user.id, created_at=now, expires_at=now + timedelta(hours=1)
            ),
        ]
    )
    session.flush()
    assert purge_expired_logins(session, now) == (1, 0)
    assert {s.id for s in session.scalars(sa.select(AuthSession))} == {"live"}


def test_login_posts_are_rate_limited_per_address(app, tmp_path, sqlite_template, postgres_url):
    """`app` is requested so that its teardown empties the shared PostgreSQL tables."""
    import shutil

    from learnapp import create_app
    from tests.conftest import TEST_SETTINGS, Auth

    database = tmp_path / "limited.db"
    if postgres_url is None:
        shutil.copyfile(sqlite_template, database)
    limited = create_app(
        {
            **TEST_SETTINGS,
            "RATELIMIT_ENABLED": True,
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": postgres_url or f"sqlite:///{database}",
        }
    )
    auth = Auth(limited.test_client())
    statuses = [auth.login(f"guess{number}", "wrong").status_code for number in range(31)]
    limited.extensions["learnapp.db"].engine.dispose()
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429


def test_the_light_session_member_follows_the_same_login_rules_as_the_user(app, session, clock):
    from datetime import timedelta

    world = build_world(session)
    now = clock()
    logins = {
        "live": (world.member_a, now + timedelta(hours=1), None),
        "expired": (world.member_a, now, None),
        "revoked": (world.member_a, now + timedelta(hours=1), now),
        "no-unit": (world.admin, now + timedelta(hours=1), None),
        "disabled": (world.member_b, now + timedelta(hours=1), None),
    }
    for key, (user, expires_at, revoked_at) in logins.items():
        session.add(
            AuthSession(
                id=key,
                user_id=user.id,
                created_at=now,
                expires_at=expires_at,
                revoked_at=revoked_at,
            )
        )
    world.member_b.is_active = False
    world.member_a.locale = "en"
    session.flush()
    with app.app_context():
        for key in [*logins, "unknown"]:
            user = load_session_user(session, key, now)
            member = load_session_member(session, key, now)
            assert (member is None) == (user is None), key
            if member is not None:
                assert member == SessionMember(
                    user.id,
                    user.category,
                    user.unit.path if user.unit else None,
                    user.locale,
                    user.must_change_password,
                    key,
                )
                assert member.get_id() == user.get_id() == key
    assert {key for key in logins if load_session_member(session, key, now)} == {"live", "no-unit"}


# --- login locks as an administrator sees and lifts them -----------------------------------


def _lock_out(app, session, username, clock):
    with app.app_context():  # its own: a test client's requests must not share it
        for _ in range(ACCOUNT_FAILURE_LIMIT):
            authenticate(session, username, "wrong", "10.9.9.9", clock())
        session.commit()


def _can_log_in(app, session, username, password, clock) -> bool:
    with app.app_context():
        ok = authenticate(session, username, password, "10.0.0.5", clock()).user is not None
        session.commit()  # keep the counters, as the login view does
        return ok


def _audit_actions(session):
    session.expire_all()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_admin_sees_a_locked_account_and_unlocks_it(app, auth, session, clock):
    world = build_world(session)
    _lock_out(app, session, "memb", clock)
    assert not _can_log_in(app, session, "memb", PASSWORD, clock)
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert 'data-testid="login-lock"' in page
    assert f'action="/admin/users/{world.member_b.id}/unlock"' in page
    listing = auth.client.get("/admin/users?q=memb").get_data(as_text=True)
    assert listing.count('data-testid="locked-badge"') == 1

    response = auth.post(f"/admin/users/{world.member_b.id}/unlock")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(LoginThrottle, "user:memb") is None
    assert _audit_actions(session)[-1] == "user.unlocked"
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.unlocked"))
    assert entry.before["failed_logins"] == ACCOUNT_FAILURE_LIMIT
    assert entry.after["via"] == "unlock"
    assert _can_log_in(app, session, "memb", PASSWORD, clock)
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert 'data-testid="login-lock"' not in page
    assert "/unlock" not in page


def test_an_unlocked_account_shows_no_lock_or_unlock_button(auth, session):
    world = build_world(session)
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert 'data-testid="login-lock"' not in page
    assert "/unlock" not in page


def test_unlock_is_for_admins_only_and_needs_the_csrf_token(app, auth, client, session, clock):
    world = build_world(session)
    _lock_out(app, session, "memb", clock)
    auth.login("seca")
    assert auth.post(f"/admin/users/{world.member_b.id}/unlock").status_code in (403, 404)
    auth.logout()
    auth.login("admin")
    client.post(f"/admin/users/{world.member_b.id}/unlock")  # no CSRF token
    session.expire_all()
    assert session.get(LoginThrottle, "user:memb") is not None
    assert "user.unlocked" not in _audit_actions(session)


def test_unlocking_an_account_that_is_not_locked_is_refused(app, ctx, session, clock):
    from learnapp.accounts.services.logins import unlock_account
    from learnapp.errors import DomainError

    world = build_world(session)
    with pytest.raises(DomainError):
        unlock_account(session, world.admin, world.member_b, clock())
    _lock_out(app, session, "memb", clock)
    with pytest.raises(DomainError):
        unlock_account(session, world.secretary_a, world.member_b, clock())


def test_an_expired_lock_is_not_shown(app, ctx, session, clock):
    world = build_world(session)
    _lock_out(app, session, "memb", clock)
    assert login_lock(session, world.member_b, clock()).is_locked
    clock.advance(minutes=31)
    assert login_lock(session, world.member_b, clock()) is None


def test_a_password_reset_lifts_the_lock_so_the_new_password_works(app, ctx, session, clock):
    world = build_world(session)
    _lock_out(app, session, "memb", clock)
    password = reset_password(session, world.admin, world.member_b, clock())
    session.commit()
    assert _can_log_in(app, session, "memb", password, clock)
    assert _audit_actions(session)[-2:] == ["user.password_reset", "user.unlocked"]
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.unlocked"))
    assert entry.after["via"] == "password_reset"
    assert entry.actor_id == world.admin.id


def test_a_password_reset_of_an_unlocked_account_records_no_unlock(app, ctx, session, clock):
    world = build_world(session)
    reset_password(session, world.admin, world.member_b, clock())
    assert _audit_actions(session) == ["user.password_reset"]


def test_the_admin_user_page_leads_to_the_member_edit_page_and_the_unit(session, auth):
    world = build_world(session)
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert f'href="/members/{world.member_b.id}/edit" data-testid="edit-details"' in page
    assert f'href="/units/{world.member_b.unit_id}"' in page
    assert auth.client.get(f"/members/{world.member_b.id}/edit").status_code == 200
    auth.logout()
    auth.login("seca")
    assert auth.client.get(f"/admin/users/{world.member_b.id}").status_code == 403
