"""Demo data: a believable organisation with three demo accounts (`flask --app learnapp demo seed`).

Later packages add their demo content in `SEEDERS`, each called with the organisation built here.
Members other than the three demo accounts have no password and cannot log in.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.accounts.services.users import create_user
from learnapp.orgs.models import MemberCategory, Role, Unit, UnitKind
from learnapp.orgs.roles import grant_role
from learnapp.orgs.services import create_unit

DEMO_PASSWORD = "learnapp-demo"  # noqa: S105  (published in the README, demo only)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强玉兰海燕文军晓"
    "东春梅永刚建华丽娟国华立新卫东红霞志明海涛文华晓燕"
)


class DemoRefused(RuntimeError):
    """The database already holds data; demo content is only added to an empty one."""


@dataclass
class DemoOrg:
    root: Unit
    branches: list[Unit]
    demo_branch: Unit
    admin: User
    secretary: User
    member: User
    # When the demo's accounts were opened (DEMO_ACCOUNT_AGE_DAYS back): seeders that add demo
    # accounts date them the same, so none is a new member whose posts the boards hold.
    joined: datetime
    members: list[User] = field(default_factory=list)


DEMO_ACCOUNT_AGE_DAYS = 400


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        name = rng.choice(SURNAMES) + given
        if name not in used:
            used.add(name)
            return name


def _category(rng: random.Random) -> MemberCategory:
    roll = rng.random()
    if roll < 0.72:
        return MemberCategory.FULL
    if roll < 0.82:
        return MemberCategory.PROBATIONARY
    if roll < 0.89:
        return MemberCategory.CANDIDATE
    if roll < 0.97:
        return MemberCategory.ACTIVIST
    return MemberCategory.MASSES


def build_organisation(session: Session, now: datetime) -> DemoOrg:
    rng = random.Random(20261125)
    # The demo's people have had their accounts for a while: none is a new member whose posts
    # the boards hold for review (discussions' new-member rule), and the year's study is theirs.
    joined = now - timedelta(days=DEMO_ACCOUNT_AGE_DAYS)
    used: set[str] = set()
    root = create_unit(
        session, None, name="明德研究院党委", kind=UnitKind.COMMITTEE, parent=None, now=now
    )
    offices = create_unit(
        session, None, name="机关党总支", kind=UnitKind.GENERAL_BRANCH, parent=root, now=now
    )
    research = create_unit(
        session, None, name="科研党总支", kind=UnitKind.GENERAL_BRANCH, parent=root, now=now
    )
    names = [
        (offices, "机关第一党支部"),
        (offices, "机关第二党支部"),
        (offices, "机关第三党支部"),
        (research, "第一研究室党支部"),
        (research, "第二研究室党支部"),
        (research, "离退休党支部"),
    ]
    branches = [
        create_unit(session, None, name=name, kind=UnitKind.BRANCH, parent=parent, now=now)
        for parent, name in names
    ]
    demo_branch = branches[0]
    groups = [
        create_unit(session, None, name=name, kind=UnitKind.GROUP, parent=demo_branch, now=now)
        for name in ("第一党小组", "第二党小组")
    ]

    admin = create_user(
        session,
        None,
        username="demo-admin",
        display_name="平台管理员",
        password=DEMO_PASSWORD,
        now=joined,
    )
    # Roles are held from the accounts' opening: a past year's targets follow the 书记 and 委员
    # roles held at its end (orgs.standing), and last year's demo assessment was run by them.
    grant_role(session, None, admin, root, Role.ADMIN, joined)
    secretary = create_user(
        session,
        None,
        username="demo-secretary",
        display_name="王建国",
        unit=demo_branch,
        phone="13800001234",
        password=DEMO_PASSWORD,
        now=joined,
    )
    grant_role(session, None, secretary, demo_branch, Role.SECRETARY, joined)
    member = create_user(
        session,
        None,
        username="demo-member",
        display_name="李晓燕",
        unit=groups[0],
        phone="13912345678",
        password=DEMO_PASSWORD,
        now=joined,
    )
    used.update({"王建国", "李晓燕"})
    org = DemoOrg(
        root, branches, demo_branch, admin, secretary, member, joined, [secretary, member]
    )

    number = 0
    for index, branch in enumerate(branches):
        retired_branch = branch.name == "离退休党支部"
        size = 14 if branch is demo_branch else rng.randint(11, 14)
        for position in range(size):
            number += 1
            unit = branch
            if branch is demo_branch:
                unit = groups[position % 2] if position < 10 else branch
            category = MemberCategory.FULL if retired_branch else _category(rng)
            # One elderly member outside the retirees' branch too: the demo branch's dashboard
            # then shows an exempt member (免学) beside those with no requirement at all.
            elderly = position < 4 if retired_branch else branch is demo_branch and position == 13
            leads = (position == 0 and branch is not demo_branch) or (
                position in (1, 2) and (branch is demo_branch or index % 2 == 1)
            )
            # Only a full member may be a secretary or committee member (orgs.grant_role).
            if elderly or leads:
                category = MemberCategory.FULL
            person = create_user(
                session,
                None,
                username=f"dy{number:03d}",
                display_name=_name(rng, used),
                unit=unit,
                category=category,
                phone=f"139{rng.randint(10000000, 99999999)}",
                is_retired=retired_branch,
                is_elderly_exempt=elderly,
                is_mobile=not retired_branch and rng.random() < 0.05,
                now=joined,
            )
            org.members.append(person)
            if position == 0 and branch is not demo_branch:
                grant_role(session, None, person, branch, Role.SECRETARY, joined)
            elif leads:
                grant_role(session, None, person, branch, Role.COMMITTEE_MEMBER, joined)
    session.flush()
    return org


# Later packages append `seed(session, org, now) -> str` functions here.
SEEDERS: list = []


def seed_demo(session: Session, now: datetime) -> str:
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise DemoRefused("database already has users; demo data not added")
    org = build_organisation(session, now)
    lines = [
        f"demo organisation: {len(org.branches)} branches, {len(org.members)} members",
    ]
    for seeder in SEEDERS:
        lines.append(seeder(session, org, now))
    lines.append(
        f"demo logins (password {DEMO_PASSWORD}): demo-admin, demo-secretary, demo-member,"
        " demo-editor, demo-reviewer"
    )
    return "\n".join(lines)


# Seeders run in this order; courses come first because study seeds progress on them.
from learnapp.courses.demo import seed as seed_courses  # noqa: E402

SEEDERS.append(seed_courses)

from learnapp.question_bank.demo import seed as seed_question_bank  # noqa: E402

SEEDERS.append(seed_question_bank)

from learnapp.question_bank.starter import seed as seed_starter_bank  # noqa: E402

SEEDERS.append(seed_starter_bank)

from learnapp.study.demo import seed as seed_study  # noqa: E402

SEEDERS.append(seed_study)

from learnapp.discussions.demo import seed as seed_discussions  # noqa: E402

SEEDERS.append(seed_discussions)

from learnapp.orglife.demo import seed as seed_orglife  # noqa: E402

SEEDERS.append(seed_orglife)

from learnapp.quizzes.demo import seed as seed_quizzes  # noqa: E402

SEEDERS.append(seed_quizzes)

# Assessments last: their dossiers read the study, meetings and posts seeded above.
from learnapp.assessments.demo import seed as seed_assessments  # noqa: E402

SEEDERS.append(seed_assessments)
