"""Bulk data for benchmarks: a large organisation tree written straight into the database.

    python -m bench.generate --members 100000 [--branches B] [--database-url URL]

The per-row services flush, audit and check rules for every row, which takes minutes for a large
organisation; this writes the same rows with Core bulk inserts in batches, into an empty database
(migrations are applied first). Ids are assigned here, so materialised paths and foreign keys
are known before anything is sent.

Each table family has its own `insert_*` function taking the session and the plan; later issues
add theirs and call them from `generate()`.
"""

import argparse
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import insert
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment, Unit, UnitKind

BATCH = 5_000
MAX_BRANCH_SIZE = 50
BRANCHES_PER_GENERAL_BRANCH = 50
BENCH_PASSWORD = "learnapp-bench"
SECRETARY_LOGIN = "bench-secretary"
ADMIN_LOGIN = "bench-admin"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅志玉海燕文晓东春永立新卫"
# Roughly the mix of a research institute's committee (see learnapp/demo.py).
CATEGORY_WEIGHTS = {
    MemberCategory.FULL: 72,
    MemberCategory.PROBATIONARY: 10,
    MemberCategory.CANDIDATE: 7,
    MemberCategory.ACTIVIST: 8,
    MemberCategory.MASSES: 3,
}


@dataclass
class Plan:
    """Everything decided before writing: sizes, the first free ids, the clock and the RNG."""

    members: int
    branches: int
    now: datetime
    rng: random.Random
    first_unit_id: int
    first_user_id: int
    password_hash: str
    root_id: int = 0
    branch_ids: list[int] = field(default_factory=list)
    # Per branch, the first few member ids: they get the branch's secretary and committee roles.
    branch_leaders: dict[int, list[int]] = field(default_factory=dict)
    admin_id: int = 0
    secretary_id: int = 0


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _batches(rows: list[dict]):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _bulk_insert(session: Session, model, rows: list[dict]) -> int:
    for chunk in _batches(rows):
        session.execute(insert(model), chunk)
    return len(rows)


def _timed(counts: Counts, name: str, func, *args) -> None:
    started = time.perf_counter()
    counts.rows[name] = func(*args)
    counts.seconds[name] = time.perf_counter() - started


def insert_units(session: Session, plan: Plan) -> int:
    """One committee, a general branch per ~50 branches, then the branches, in id order."""
    now = plan.now
    rows = []

    def add(unit_id: int, parent: dict | None, name: str, kind: UnitKind) -> dict:
        row = {
            "id": unit_id,
            "parent_id": parent["id"] if parent else None,
            "name": name,
            "kind": kind,
            "timezone": "Asia/Shanghai",
            "path": f"{parent['path'] if parent else '/'}{unit_id}/",
            "is_active": True,
            "created_at": now,
        }
        rows.append(row)
        return row

    next_id = plan.first_unit_id
    root = add(next_id, None, "基准测试研究院党委", UnitKind.COMMITTEE)
    plan.root_id = next_id
    general_count = math.ceil(plan.branches / BRANCHES_PER_GENERAL_BRANCH)
    generals = []
    for number in range(1, general_count + 1):
        next_id += 1
        generals.append(add(next_id, root, f"第{number}党总支", UnitKind.GENERAL_BRANCH))
    for number in range(plan.branches):
        next_id += 1
        parent = generals[number // BRANCHES_PER_GENERAL_BRANCH]
        add(next_id, parent, f"第{number + 1}党支部", UnitKind.BRANCH)
        plan.branch_ids.append(next_id)
    return _bulk_insert(session, Unit, rows)


def _display_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def insert_users(session: Session, plan: Plan) -> int:
    """Members spread evenly over the branches, plus the two login accounts of the benchmark.

    `bench-secretary` is the first member of the first branch; every other member has no
    password and cannot log in, as in a real import.
    """
    rng, now = plan.rng, plan.now
    categories, weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    base, extra = divmod(plan.members, plan.branches)
    rows = []
    user_id = plan.first_user_id
    for index, branch_id in enumerate(plan.branch_ids):
        size = base + (1 if index < extra else 0)
        plan.branch_leaders[branch_id] = list(range(user_id, user_id + min(size, 3)))
        for position in range(size):
            # Leaders hold office, so they are active full members whatever the dice say.
            leader = position < 3
            retired = not leader and rng.random() < 0.06
            rows.append(
                {
                    "id": user_id,
                    "username": f"bm{user_id:07d}",
                    "display_name": _display_name(rng),
                    "password_hash": None,
                    "is_active": leader or rng.random() > 0.01,
                    "locale": None,
                    "phone": f"139{rng.randint(10_000_000, 99_999_999)}",
                    "unit_id": branch_id,
                    "category": MemberCategory.FULL
                    if leader
                    else rng.choices(categories, weights)[0],
                    "is_mobile": not retired and rng.random() < 0.03,
                    "is_retired": retired,
                    "is_elderly_exempt": retired and rng.random() < 0.3,
                    "created_at": now,
                    "password_changed_at": None,
                }
            )
            user_id += 1
    secretary = rows[0]
    secretary.update(
        username=SECRETARY_LOGIN,
        display_name="王建国",
        password_hash=plan.password_hash,
        is_mobile=False,
        password_changed_at=now,
    )
    plan.secretary_id = secretary["id"]
    plan.admin_id = user_id
    rows.append(
        {
            **secretary,
            "id": user_id,
            "username": ADMIN_LOGIN,
            "display_name": "平台管理员",
            "phone": None,
            "unit_id": None,
        }
    )
    return _bulk_insert(session, User, rows)


def insert_role_assignments(session: Session, plan: Plan) -> int:
    """A secretary and two committee members per branch (the first branch's secretary is the
    login account), and the administrator at the root."""
    rows = [
        {
            "user_id": plan.admin_id,
            "unit_id": plan.root_id,
            "role": Role.ADMIN,
            "granted_at": plan.now,
            "granted_by_id": None,
        }
    ]
    for branch_id, leaders in plan.branch_leaders.items():
        for position, user_id in enumerate(leaders):
            role = Role.SECRETARY if position == 0 else Role.COMMITTEE_MEMBER
            rows.append(
                {
                    "user_id": user_id,
                    "unit_id": branch_id,
                    "role": role,
                    "granted_at": plan.now,
                    "granted_by_id": None,
                }
            )
    return _bulk_insert(session, RoleAssignment, rows)


def _next_id(session: Session, model) -> int:
    return (session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _finish_postgresql(session: Session) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows written, and
    gather statistics now rather than whenever autovacuum gets round to it."""
    for table in ("units", "users", "role_assignments"):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (fixed names)
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    for table in ("units", "users", "role_assignments"):
        session.execute(sa.text(f"ANALYZE {table}"))


def generate(session: Session, plan: Plan) -> Counts:
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise SystemExit("the database already has users: bench data goes into an empty database")
    counts = Counts()
    _timed(counts, "units", insert_units, session, plan)
    _timed(counts, "users", insert_users, session, plan)
    _timed(counts, "role_assignments", insert_role_assignments, session, plan)
    if session.get_bind().dialect.name == "postgresql":
        session.flush()
        _finish_postgresql(session)
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--members", type=int, required=True, help="members to create (N)")
    parser.add_argument("--branches", type=int, help="branches (default: ceil(N / 50))")
    parser.add_argument("--database-url", help="default: $LEARNAPP_DATABASE_URL")
    parser.add_argument("--seed", type=int, default=20261125, help="random seed")
    args = parser.parse_args(argv)
    if args.members < 1:
        parser.error("--members must be at least 1")
    args.branches = args.branches or math.ceil(args.members / MAX_BRANCH_SIZE)
    if not 1 <= args.branches <= args.members:
        parser.error("--branches must be between 1 and --members")
    args.database_url = args.database_url or os.environ.get("LEARNAPP_DATABASE_URL")
    if not args.database_url:
        # Never fall back to the development database in the data folder.
        parser.error("give --database-url or set LEARNAPP_DATABASE_URL")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from learnapp import create_app
    from learnapp.accounts.passwords import hash_password
    from learnapp.cli import upgrade_database

    started = time.perf_counter()
    app = create_app({"DATABASE_URL": args.database_url})
    database = app.extensions["learnapp.db"]
    upgrade_database(database.engine)
    migrated = time.perf_counter()
    with app.app_context():
        password_hash = hash_password(BENCH_PASSWORD)
    with database.session_scope() as session:
        plan = Plan(
            members=args.members,
            branches=args.branches,
            now=datetime.now(UTC),
            rng=random.Random(args.seed),
            first_unit_id=_next_id(session, Unit),
            first_user_id=_next_id(session, User),
            password_hash=password_hash,
        )
        counts = generate(session, plan)
    finished = time.perf_counter()

    print(f"database: {database.engine.url.render_as_string(hide_password=True)}")
    print(f"migrations: {migrated - started:.2f} s")
    for name, rows in counts.rows.items():
        seconds = counts.seconds[name]
        print(f"{name}: {rows} rows in {seconds:.2f} s ({rows / max(seconds, 1e-9):,.0f} rows/s)")
    print(f"total: {finished - started:.2f} s (including the commit)")
    print(
        f"logins (password {BENCH_PASSWORD}): {SECRETARY_LOGIN} (secretary of unit "
        f"{plan.branch_ids[0]}), {ADMIN_LOGIN} (admin at unit {plan.root_id})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
