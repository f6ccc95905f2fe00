"""A password may not contain the account's own user name, in any letter case: when an account
is created with one, when its owner changes it, and when an administrator resets it."""

import itertools

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.accounts.passwords import password_problem
from learnapp.accounts.services import passwords as password_services
from learnapp.accounts.services.passwords import change_password, reset_password
from learnapp.accounts.services.users import create_user
from learnapp.errors import DomainError
from tests.factories import PASSWORD, make_user
from tests.world import build_world

CONTAINS_NAME = "密码中不能包含用户名。"


def test_a_password_containing_the_user_name_in_any_case_is_refused(ctx):
    assert password_problem("my-Zhangsan-2025", "zhangsan") is not None
    assert password_problem("ZHANGSAN", "zhangsan") is not None
    assert password_problem("correct horse battery", "zhangsan") is None


def test_a_user_name_shorter_than_three_characters_is_not_looked_for(ctx):
    assert password_problem("abacus-in-the-hall", "ab") is None
    assert password_problem("abacus-in-the-hall", "aba") is not None


def test_creating_an_account_with_a_password_containing_its_name_stores_nothing(
    ctx, session, clock
):
    with pytest.raises(DomainError) as refused:
        create_user(
            session,
            None,
            username="Wangfang",
            display_name="王芳",
            password="wangfang-likes-tea",
            now=clock(),
        )
    assert refused.value.field == "password"
    assert str(refused.value.message) == CONTAINS_NAME
    assert session.scalar(sa.select(User).where(User.username == "wangfang")) is None


def test_changing_to_a_password_containing_the_user_name_is_refused(ctx, session, clock):
    alice = make_user(session, username="alice")
    with pytest.raises(DomainError) as refused:
        change_password(session, alice, PASSWORD, "Dear-ALICE-2025", clock(), 8)
    assert refused.value.field == "new_password"
    assert str(refused.value.message) == CONTAINS_NAME


def test_the_password_form_says_the_new_password_contains_the_user_name(auth, session):
    make_user(session, username="alice")
    session.commit()
    auth.login("alice")
    response = auth.post(
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "Alice1234!", "confirm": "Alice1234!"},
    )
    assert response.status_code == 400
    assert CONTAINS_NAME in response.text
    session.expire_all()
    alice = session.scalar(sa.select(User).where(User.username == "alice"))
    assert alice.password_changed_at is None


def _draws(monkeypatch, *passwords: str) -> None:
    """The characters the generator draws, in order: one password's after another's."""
    characters = itertools.chain.from_iterable(p.replace("-", "") for p in passwords)
    monkeypatch.setattr(password_services.secrets, "choice", lambda _alphabet: next(characters))


def test_a_reset_draws_again_rather_than_hand_out_the_user_name(ctx, session, clock, monkeypatch):
    world = build_world(session)
    bob = make_user(session, username="bcde", unit=world.branch_a)
    _draws(monkeypatch, "xyzw-BCDE-2345", "wxyz-2345-6789")
    password = reset_password(session, world.admin, bob, clock())
    assert password == "wxyz-2345-6789"


def test_an_admin_reset_on_the_account_page_never_shows_the_user_name(auth, session, monkeypatch):
    world = build_world(session)
    bob = make_user(session, username="bcde", unit=world.branch_a)
    session.commit()
    auth.login("admin")
    _draws(monkeypatch, "BCDE-xyzw-2345", "wxyz-2345-6789")
    response = auth.post(f"/admin/users/{bob.id}/reset-password", follow_redirects=True)
    assert response.status_code == 200
    assert "wxyz-2345-6789" in response.text
    assert "BCDE-xyzw-2345" not in response.text
