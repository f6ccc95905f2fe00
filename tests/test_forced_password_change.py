"""A password someone else handed over is initial: its owner must replace it before anything
else opens (accounts.gate), and the flag clears when they do."""

import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import AuthSession, User
from learnapp.accounts.passwords import verify_password
from learnapp.accounts.services.passwords import change_password, reset_password
from learnapp.accounts.services.users import create_user
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from tests.conftest import reload
from tests.factories import PASSWORD, make_user
from tests.world import build_world

NEW = "a brand new long phrase"


def _post(auth, path, data=None, **kwargs):
    """Post with the CSRF token of the one page a flagged user can open."""
    token = auth.csrf("/profile/password")
    return auth.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def _change(auth, current, new=NEW, confirm=None, path="/profile/password"):
    return _post(
        auth, path, {"current_password": current, "new_password": new, "confirm": confirm or new}
    )


def _flagged(session, username="memb") -> bool:
    reload(session)
    return session.scalar(sa.select(User.must_change_password).where(User.username == username))


@pytest.fixture
def reset_member(app, session, clock):
    """memb with a password an admin reset: (world, the password handed over)."""
    world = build_world(session)
    with app.app_context():
        password = reset_password(session, world.admin, world.member_b, clock())
    session.commit()
    return world, password


# --- services --------------------------------------------------------------------------------


def test_an_admin_reset_flags_the_account_and_says_so_in_the_audit(ctx, session, clock):
    world = build_world(session)
    reset_password(session, world.admin, world.member_b, clock())
    assert world.member_b.must_change_password
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert entry.after == {"must_change_password": True}


def test_an_account_created_with_an_initial_password_is_flagged_only_when_asked(
    ctx, session, clock
):
    chosen = create_user(
        session, None, username="chosen", display_name="甲", password=PASSWORD, now=clock()
    )
    handed = create_user(
        session,
        None,
        username="handed",
        display_name="乙",
        password=PASSWORD,
        must_change_password=True,
        now=clock(),
    )
    without = create_user(
        session, None, username="nopass", display_name="丙", must_change_password=True, now=clock()
    )
    assert (chosen.must_change_password, handed.must_change_password) == (False, True)
    assert not without.must_change_password  # no password: nothing to change yet


def test_changing_the_initial_password_clears_the_flag_and_is_audited(ctx, session, clock):
    world = build_world(session)
    password = reset_password(session, world.admin, world.member_b, clock())
    change_password(session, world.member_b, password, NEW, clock(), 8)
    assert not world.member_b.must_change_password
    assert verify_password(world.member_b.password_hash, NEW)
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "user.password_changed")
    )
    assert entry.actor_id == world.member_b.id
    assert (entry.before, entry.after) == (
        {"must_change_password": True},
        {"must_change_password": False},
    )


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        ("not the password", NEW, "current_password"),
        (None, "password123", "new_password"),  # too common
        (None, "short", "new_password"),
        (None, None, "new_password"),  # the initial password itself, typed again
    ],
)
def test_a_refused_change_leaves_the_password_and_the_flag(
    ctx, session, clock, current, new, field
):
    world = build_world(session)
    password = reset_password(session, world.admin, world.member_b, clock())
    before = world.member_b.password_hash
    with pytest.raises(DomainError) as refused:
        change_password(session, world.member_b, current or password, new or password, clock(), 8)
    assert refused.value.field == field
    assert world.member_b.password_hash == before
    assert world.member_b.must_change_password
    assert "user.password_changed" not in session.scalars(sa.select(AuditEntry.action)).all()


def test_migrated_accounts_are_not_flagged(tmp_path):
    from learnapp.cli import upgrade_database
    from tests.conftest import DB_KIND, POSTGRES_URL, ScratchPostgres

    scratch = ScratchPostgres(POSTGRES_URL, "mustchange") if DB_KIND == "postgres" else None
    url = scratch.create() if scratch else f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    try:
        upgrade_database(engine, "7c1e5b9a40d2")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (username, display_name, password_hash, is_active,"
                    " category, is_mobile, is_retired, is_elderly_exempt, created_at)"
                    " VALUES ('old', 'old', 'x', true, 'full', false, false, false,"
                    " '2026-01-01 00:00:00')"
                )
            )
        upgrade_database(engine)
        with engine.connect() as connection:
            flag = connection.execute(sa.text("SELECT must_change_password FROM users"))
            assert [bool(value) for (value,) in flag] == [False]
    finally:
        engine.dispose()
        if scratch:
            scratch.drop()


def test_demo_accounts_log_in_without_a_forced_change(ctx, session, clock):
    from learnapp.demo import DEMO_PASSWORD, seed_demo

    seed_demo(session, clock())
    assert session.scalar(sa.select(sa.func.count()).where(User.must_change_password)) == 0
    demo = session.scalars(sa.select(User).where(User.username.like("demo-%"))).all()
    assert len(demo) == 5
    assert all(verify_password(user.password_hash, DEMO_PASSWORD) for user in demo)


def test_create_admin_hands_out_an_initial_password(runner, session):
    assert runner.invoke(args=["users", "create-admin", "chief"]).exit_code == 0
    assert session.scalar(sa.select(User).where(User.username == "chief")).must_change_password


def test_an_account_the_admin_creates_with_a_password_is_flagged(auth, session):
    build_world(session)
    auth.login("admin")
    auth.post(
        "/admin/users/new",
        {"username": "fresh", "display_name": "新同志", "unit_id": 0, "category": "full"}
        | {"with_password": "y"},
    )
    assert _flagged(session, "fresh")


# --- the login and the gate ------------------------------------------------------------------


def test_login_with_a_reset_password_leads_to_the_change_page(auth, reset_member):
    _world, password = reset_member
    response = auth.login("memb", password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/password"
    page = auth.client.get("/profile/password")
    assert page.status_code == 200
    assert 'data-testid="must-change-password"' in page.get_data(as_text=True)


def test_login_keeps_the_next_page_for_after_the_change(auth, reset_member):
    _world, password = reset_member
    token = auth.csrf("/login")
    response = auth.client.post(
        "/login?next=/study/me",
        data={"username": "memb", "password": password, "csrf_token": token},
    )
    assert unquote(response.headers["Location"]) == "/profile/password?next=/study/me"
    response = _change(auth, password, path="/profile/password?next=/study/me")
    assert response.headers["Location"] == "/study/me"


@pytest.mark.parametrize("path", ["/", "/profile", "/study/me", "/notifications", "/login"])
def test_every_other_page_sends_a_flagged_user_back_to_the_change_page(auth, reset_member, path):
    _world, password = reset_member
    auth.login("memb", password)
    response = auth.client.get(path)
    assert response.status_code == 302
    location = unquote(response.headers["Location"])
    assert location.startswith("/profile/password")
    if path != "/login":
        assert location.endswith(f"next={path}")


def test_a_form_post_elsewhere_is_sent_to_the_change_page_and_does_nothing(auth, reset_member):
    _world, password = reset_member
    auth.login("memb", password)
    response = _post(auth, "/study/me/self-study", {"title": "自学", "minutes": "30"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/password"


def test_json_requests_get_a_clear_403(auth, reset_member):
    _world, password = reset_member
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("memb", password)
    token = auth.csrf("/profile/password")
    heartbeat = auth.client.post(
        "/study/sessions/zz/beats", json={"seq": 1}, headers={"X-CSRFToken": token}
    )
    wanted = auth.client.get("/notifications", headers={"Accept": "application/json"})
    for response in (heartbeat, wanted):
        assert response.status_code == 403
        assert response.is_json
        assert "password" in response.get_json()["error"]


def test_the_allow_list_stays_open(app, auth, session, reset_member):
    _world, password = reset_member
    auth.login("memb", password)
    assert auth.client.get("/profile/password").status_code == 200
    static = auth.client.get("/static/css/app.css")
    assert static.status_code == 200
    static.close()
    switched = _post(auth, "/language", {"locale": "en", "next": "/profile/password"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/profile/password"
    assert "Choose a password of your own" in auth.client.get("/profile/password").get_data(
        as_text=True
    )
    out = _post(auth, "/logout")
    assert out.status_code == 302
    assert out.headers["Location"] == "/login"
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).where(AuthSession.revoked_at.is_(None))) == 0


def test_after_the_change_the_home_page_opens(auth, session, reset_member):
    _world, password = reset_member
    auth.login("memb", password)
    response = _change(auth, password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert auth.client.get("/").status_code == 200
    assert not _flagged(session)
    auth.logout()
    assert auth.login("memb", NEW).headers["Location"] == "/"


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong", NEW, None, "当前密码错误"),
        (None, "password123", None, "过于常见"),
        (None, NEW, "something else entirely", "两次输入的密码不一致"),
    ],
)
def test_a_bad_change_keeps_the_user_on_the_page_with_nothing_changed(
    auth, session, reset_member, current, new, confirm, message
):
    world, password = reset_member
    before = world.member_b.password_hash
    auth.login("memb", password)
    response = _change(auth, current or password, new, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _flagged(session)
    assert auth.client.get("/").status_code == 302
    assert session.get(User, world.member_b.id).password_hash == before
    assert "user.password_changed" not in session.scalars(sa.select(AuditEntry.action)).all()


def test_an_ordinary_password_change_still_returns_to_the_profile(auth, session):
    make_user(session, username="alice")
    session.commit()
    auth.login("alice")
    assert auth.client.get("/").status_code == 200
    response = _change(auth, PASSWORD)
    assert response.headers["Location"] == "/profile"
    page = auth.client.get("/profile/password").get_data(as_text=True)
    assert 'data-testid="must-change-password"' not in page


def test_the_user_page_tells_the_admin_the_password_is_initial(auth, reset_member):
    world, _password = reset_member
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    can_log_in = re.search(r'data-testid="can-log-in">(.*?)</dd>', page).group(1)
    assert "initial password" in can_log_in
