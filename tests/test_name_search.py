"""Searching accounts by name: the accounts list and a unit's member list match the user name or
the name, and take % and _ as the characters they are."""

from learnapp.accounts.queries import users_matching
from learnapp.orgs.queries import members_page
from tests.factories import make_user
from tests.world import build_world


def _arranged(session):
    world = build_world(session)
    make_user(session, username="wang_li", display_name="王力", unit=world.branch_a)
    make_user(session, username="wangxli", display_name="王小力", unit=world.branch_a)
    make_user(session, username="zhao", display_name="赵100%", unit=world.branch_a)
    session.commit()
    return world


def _usernames(session, search, disabled_only=False) -> list[str]:
    users = session.scalars(users_matching(search, disabled_only=disabled_only))
    return sorted(user.username for user in users)


def test_the_accounts_list_matches_either_name_and_no_wildcard(ctx, session):
    _arranged(session)
    assert _usernames(session, "wang_") == ["wang_li"]
    assert _usernames(session, "小力") == ["wangxli"]
    assert _usernames(session, "王") == ["wang_li", "wangxli"]
    assert _usernames(session, "0%") == ["zhao"]
    assert _usernames(session, "%") == ["zhao"]
    assert len(_usernames(session, "")) == 8  # the five of the world, and these three


def test_the_accounts_list_keeps_disabled_accounts_only_when_asked(ctx, session):
    world = _arranged(session)
    world.member_b.is_active = False
    session.commit()
    assert _usernames(session, "", disabled_only=True) == ["memb"]
    assert _usernames(session, "wang", disabled_only=True) == []


def test_a_units_member_list_matches_either_name_and_no_wildcard(ctx, session):
    world = _arranged(session)

    def listed(search):
        return sorted(
            m.username for m in members_page(session, world.branch_a, search=search).members
        )

    assert listed("wang_") == ["wang_li"]
    assert listed("小力") == ["wangxli"]
    assert listed("%") == ["zhao"]
    assert listed("memb") == []  # in branch B
