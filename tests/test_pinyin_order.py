"""Names are listed by pinyin, the same on SQLite and PostgreSQL."""

import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.db import pinyin_order
from learnapp.orgs.models import MemberCategory
from learnapp.orgs.queries import party_members_in
from learnapp.text import pinyin_key
from tests.factories import make_user
from tests.world import build_world

# By code point: 刘 孙 安 张 李 王 赵 陈. By pinyin: an chen li liu sun wang zhang zhao.
NAMES = ["王五", "李四", "张三", "安娜", "赵六", "陈七", "刘备", "孙权"]
BY_PINYIN = ["安娜", "陈七", "李四", "刘备", "孙权", "王五", "张三", "赵六"]


def test_the_key_reads_common_names_by_pinyin():
    assert sorted(NAMES) != BY_PINYIN
    assert sorted(NAMES, key=pinyin_key) == BY_PINYIN
    assert pinyin_key("Anna") < pinyin_key("安娜")


def test_the_database_orders_names_by_the_same_key(session):
    for name in NAMES:
        make_user(session, display_name=name)
    session.commit()
    names = session.scalars(
        sa.select(User.display_name)
        .where(User.display_name.in_(NAMES))
        .order_by(pinyin_order(User.display_name))
    ).all()
    assert names == BY_PINYIN


def test_member_lists_read_by_pinyin(session):
    world = build_world(session)
    for name in NAMES:
        make_user(session, display_name=name, unit=world.group_a, category=MemberCategory.FULL)
    session.commit()
    listed = [
        user.display_name
        for user in session.scalars(party_members_in(world.group_a))
        if user.display_name in NAMES
    ]
    assert listed == BY_PINYIN
