"""A small organisation for permission tests: two branches under one general branch."""

from dataclasses import dataclass

from learnapp.accounts.models import User
from learnapp.orgs.models import MemberCategory, Role, Unit, UnitKind
from tests.factories import make_unit, make_user


@dataclass
class World:
    root: Unit
    general: Unit
    branch_a: Unit
    group_a: Unit
    branch_b: Unit
    admin: User
    general_secretary: User
    secretary_a: User
    member_a: User
    member_b: User


def build_world(session) -> World:
    root = make_unit(session, name="测试党委", kind=UnitKind.COMMITTEE)
    general = make_unit(session, parent=root, name="测试党总支", kind=UnitKind.GENERAL_BRANCH)
    branch_a = make_unit(session, parent=general, name="甲支部")
    group_a = make_unit(session, parent=branch_a, name="甲第一党小组", kind=UnitKind.GROUP)
    branch_b = make_unit(session, parent=general, name="乙支部")
    world = World(
        root=root,
        general=general,
        branch_a=branch_a,
        group_a=group_a,
        branch_b=branch_b,
        admin=make_user(session, username="admin", roles=((Role.ADMIN, root),)),
        general_secretary=make_user(
            session, username="gsec", unit=branch_a, roles=((Role.SECRETARY, general),)
        ),
        secretary_a=make_user(
            session, username="seca", unit=branch_a, roles=((Role.SECRETARY, branch_a),)
        ),
        member_a=make_user(
            session,
            username="mema",
            unit=group_a,
            phone="13812345678",
            category=MemberCategory.PROBATIONARY,
        ),
        member_b=make_user(session, username="memb", unit=branch_b),
    )
    session.commit()
    return world
