"""Initial passwords issued in bulk: for imported members (who have none) and other accounts
still awaiting a password of their own; downloaded once as a formula-safe sheet."""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.accounts.models import User
from learnapp.accounts.passwords import verify_password
from learnapp.accounts.queries import accounts_awaiting_password, awaiting_batches
from learnapp.accounts.services.passwords import (
    GENERATED_ALPHABET,
    ISSUE_LIMIT,
    generate_password,
    issue_initial_passwords,
    reset_password,
)
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.tabular import FORMULA_PREFIXES
from tests.conftest import reload
from tests.factories import make_user
from tests.world import build_world

PATH = "/admin/users/initial-passwords"


def _newcomers(session, world, count=2, **fields):
    """Members of branch A without a password, as an import leaves them."""
    users = [
        make_user(session, username=f"new{n}", unit=world.branch_a, password=None, **fields)
        for n in range(count)
    ]
    session.commit()
    return users


def _actions(session) -> list[str]:
    reload(session)
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- services --------------------------------------------------------------------------------


def test_generated_passwords_are_readable_and_never_look_like_formulas():
    for _ in range(200):
        password = generate_password()
        assert re.fullmatch(r"[^-]{4}-[^-]{4}-[^-]{4}", password)
        assert set(password.replace("-", "")) <= set(GENERATED_ALPHABET)
        assert not password.startswith(FORMULA_PREFIXES)
    assert not set("0O1lI") & set(GENERATED_ALPHABET)
    assert len({generate_password() for _ in range(50)}) == 50


def test_issuing_gives_each_account_a_flagged_password_audited_without_it(ctx, session, clock):
    world = build_world(session)
    first, second = _newcomers(session, world)
    issued = issue_initial_passwords(session, world.admin, [first, second], clock())
    assert [user for user, _ in issued] == [first, second]
    for user, password in issued:
        assert verify_password(user.password_hash, password)
        assert user.must_change_password
        assert user.password_changed_at == clock()
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.initial_password_issued")
    ).all()
    assert sorted(int(entry.target_id) for entry in entries) == sorted([first.id, second.id])
    assert all(entry.actor_id == world.admin.id for entry in entries)
    stored = repr([(entry.before, entry.after) for entry in session.scalars(sa.select(AuditEntry))])
    assert not any(password in stored for _, password in issued)


def test_an_initial_password_not_yet_changed_can_be_issued_again(ctx, session, clock):
    world = build_world(session)
    first = reset_password(session, world.admin, world.member_b, clock())
    ((_, second),) = issue_initial_passwords(session, world.admin, [world.member_b], clock())
    assert first != second
    assert verify_password(world.member_b.password_hash, second)


@pytest.mark.parametrize("case", ["own password", "disabled", "not admin", "none", "too many"])
def test_a_refused_batch_changes_nobody(ctx, session, clock, case):
    world = build_world(session)
    (newcomer,) = _newcomers(session, world, count=1)
    before = world.member_a.password_hash
    actor, users = world.admin, [newcomer, world.member_a]
    if case == "disabled":
        newcomer.is_active = False
        users = [newcomer]
    elif case == "not admin":
        actor, users = world.secretary_a, [newcomer]
    elif case == "none":
        users = []
    elif case == "too many":
        users = [newcomer] * (ISSUE_LIMIT + 1)
    with pytest.raises(DomainError):
        issue_initial_passwords(session, actor, users, clock())
    assert newcomer.password_hash is None
    assert world.member_a.password_hash == before
    assert "user.initial_password_issued" not in session.scalars(sa.select(AuditEntry.action)).all()


def test_the_list_and_its_batches_follow_the_unit_and_the_creation_time(ctx, session, clock):
    world = build_world(session)
    early = _newcomers(session, world)
    later = make_user(
        session,
        username="later",
        unit=world.branch_b,
        password=None,
        created_at=clock() + timedelta(hours=1),
    )
    flagged = make_user(session, username="flagged", unit=world.branch_b, must_change_password=True)
    make_user(session, username="gone", unit=world.branch_b, password=None, is_active=False)
    assert accounts_awaiting_password(session) == [*early, flagged, later]
    assert accounts_awaiting_password(session, unit=world.branch_a) == early
    assert accounts_awaiting_password(session, created_at=later.created_at) == [later]
    assert [(b.created_at, b.count) for b in awaiting_batches(session)] == [
        (later.created_at, 1),
        (clock(), 3),
    ]
    assert [b.count for b in awaiting_batches(session, unit=world.branch_a)] == [2]


# --- the page --------------------------------------------------------------------------------


def test_only_admins_reach_the_page(client, auth, session):
    world = build_world(session)
    _newcomers(session, world)
    anonymous = client.get(PATH)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for username in ("memb", "seca"):
        auth.login(username)
        assert auth.client.get(PATH).status_code == 403
        assert auth.post(PATH, {"user_ids": "1", "file_format": "csv"}).status_code == 403
        auth.logout()
    auth.login("admin")
    page = auth.client.get(PATH)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "new0" in text and "new1" in text
    assert "memb" not in text.split('data-testid="awaiting-table"')[1]
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).where(User.must_change_password)) == 0


def test_the_admin_downloads_an_xlsx_and_the_members_can_log_in(app, auth, session):
    world = build_world(session)
    newcomers = _newcomers(session, world)
    auth.login("admin")
    response = auth.post(PATH, {"user_ids": [str(u.id) for u in newcomers], "file_format": "xlsx"})
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    passwords = {row[1]: row[3] for row in rows[1:]}
    assert set(passwords) == {"new0", "new1"}
    from tests.conftest import Auth

    member = Auth(app.test_client())
    assert member.login("new0", passwords["new0"]).headers["Location"] == "/profile/password"
    assert _actions(session).count("user.initial_password_issued") == 2


def test_the_csv_is_formula_safe(auth, session):
    world = build_world(session)
    (newcomer,) = _newcomers(session, world, count=1, display_name="=HYPERLINK(1)")
    auth.login("admin")
    response = auth.post(PATH, {"user_ids": str(newcomer.id), "file_format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][1] == "new0"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"file_format": "xlsx"}, 400),  # nothing chosen
        ({"user_ids": "OWN", "file_format": "xlsx"}, 400),  # an account with its own password
        ({"user_ids": "x", "file_format": "xlsx"}, 400),
        ({"user_ids": "NEW", "file_format": "exe"}, 400),
        ({"user_ids": "999999", "file_format": "xlsx"}, 404),
    ],
)
def test_bad_input_issues_nothing(auth, session, data, status):
    world = build_world(session)
    (newcomer,) = _newcomers(session, world, count=1)
    values = {"NEW": str(newcomer.id), "OWN": str(world.member_a.id)}
    if data.get("user_ids") in values:
        data = {**data, "user_ids": values[data["user_ids"]]}
    auth.login("admin")
    response = auth.post(PATH, data)
    assert response.status_code == status
    if status == 400:
        assert response.get_data(as_text=True).count('data-testid="form-error"') == 1
    reload(session)
    assert session.get(User, newcomer.id).password_hash is None
    assert "user.initial_password_issued" not in _actions(session)


def test_without_the_csrf_token_nothing_is_issued(auth, session):
    world = build_world(session)
    (newcomer,) = _newcomers(session, world, count=1)
    auth.login("admin")
    response = auth.client.post(PATH, data={"user_ids": str(newcomer.id), "file_format": "csv"})
    assert response.status_code == 400
    reload(session)
    assert session.get(User, newcomer.id).password_hash is None


def test_bad_filters_are_refused(auth, session):
    build_world(session)
    auth.login("admin")
    assert auth.client.get(f"{PATH}?batch=yesterday").status_code == 400
    assert auth.client.get(f"{PATH}?batch=2026-03-10T02:00:00").status_code == 400  # naive
    assert auth.client.get(f"{PATH}?unit=999999").status_code == 404
    assert auth.client.get(f"{PATH}?unit=1&unit=2").status_code == 400


# --- after a member import -------------------------------------------------------------------


def _import(auth, unit_id, rows: str):
    from tests.test_orgs import HEADER, _confirm, _upload

    preview = _upload(auth, unit_id, (HEADER + rows).encode())
    assert preview.status_code == 200, preview.get_data(as_text=True)
    return _confirm(auth, unit_id, preview.get_data(as_text=True))


def test_an_admin_import_leads_to_its_accounts_preselected(auth, session, clock):
    world = build_world(session)
    make_user(
        session,
        username="older",
        unit=world.branch_a,
        password=None,
        created_at=clock() - timedelta(days=3),
    )
    session.commit()
    auth.login("admin")
    done = _import(
        auth,
        world.branch_a.id,
        "张三,zhangsan,甲支部,正式党员,,,,\n李四,lisi,甲第一党小组,群众,,,,\n",
    )
    assert done.status_code == 302
    target = urlsplit(done.headers["Location"])
    assert target.path == PATH
    assert parse_qs(target.query)["unit"] == [str(world.branch_a.id)]
    page = auth.client.get(done.headers["Location"]).get_data(as_text=True)
    checked = re.findall(r'name="user_ids" value="(\d+)"[^>]*checked', page)
    imported = session.scalars(
        sa.select(User.id).where(User.username.in_(["zhangsan", "lisi"]))
    ).all()
    assert sorted(map(int, checked)) == sorted(imported)
    assert "older" not in page


def test_a_secretary_import_says_an_admin_issues_the_passwords(auth, session):
    world = build_world(session)
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("seca")
    done = _import(auth, world.branch_a.id, "张三,zhangsan,甲支部,正式党员,,,,\n")
    assert done.headers["Location"] == f"/units/{world.branch_a.id}"
    page = auth.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "once an administrator has issued their initial passwords" in page


def test_accounts_already_given_an_initial_password_are_never_preticked(app, auth, session, clock):
    world = build_world(session)
    fresh, handed_out = _newcomers(session, world, count=2)
    with app.app_context():
        reset_password(session, world.admin, handed_out, clock())
    session.commit()
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("admin")
    page = auth.client.get(f"{PATH}?unit={world.branch_a.id}").get_data(as_text=True)
    checked = {int(i) for i in re.findall(r'name="user_ids" value="(\d+)"[^>]*checked', page)}
    listed = {int(i) for i in re.findall(r'name="user_ids" value="(\d+)"', page)}
    assert checked == {fresh.id}
    assert handed_out.id in listed
    assert 'data-testid="already-issued"' in page and 'data-testid="reissue-hint"' in page
    # Ticked explicitly, the handed-out account is given a new one.
    before = handed_out.password_hash
    response = auth.post(PATH, {"user_ids": str(handed_out.id), "file_format": "csv"})
    assert response.status_code == 200
    reload(session)
    assert session.get(User, handed_out.id).password_hash != before
