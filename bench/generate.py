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
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    SourceDocument,
    Tag,
    question_tag_links,
)
from learnapp.question_bank.types import normalise_stem

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
    questions: int = 0  # question bank rows (issue 4); 0 writes none
    thread_replies: int = 0  # replies in one thread of the first branch's board (issue 8)


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


# Question bank (issue 4): stems are assembled from fragments of the texts the starter bank
# draws on, so substring searches meet realistic Chinese text, not random characters.
STEM_OPENINGS = (
    "根据《中国共产党章程》，",
    "按照《中国共产党党员教育管理工作条例》，",
    "关于党的组织制度，",
    "在党的历史上，",
    "下列关于三会一课的说法中，",
    "党员在日常学习中，",
    "根据党的纪律处分条例，",
    "关于主题党日活动，",
)
STEM_SUBJECTS = (
    "党员必须履行的义务",
    "预备党员的预备期",
    "党的基层组织的基本任务",
    "民主集中制的基本原则",
    "党的纪律处分种类",
    "党员的权利",
    "支部党员大会的职权",
    "组织生活会的召开要求",
    "党员教育培训的学时要求",
    "党费收缴和使用管理",
    "遵义会议的历史意义",
    "党的十一届三中全会",
    "入党誓词的内容",
    "党小组的设置和任务",
)
STEM_ENDINGS = (
    "下列表述正确的是（ ）。",
    "哪一项说法是错误的？",
    "应当包括哪些内容？",
    "请简述其主要内容。",
    "下列选项中符合规定的有（ ）。",
    "以下判断是否正确？",
)
QUESTION_TYPES = (("single", 40), ("multiple", 25), ("judge", 20), ("fill", 10), ("short", 5))
STATUS_WEIGHTS = (
    (QuestionStatus.ACTIVE, 80),
    (QuestionStatus.DRAFT, 8),
    (QuestionStatus.IN_REVIEW, 7),
    (QuestionStatus.RETIRED, 5),
)


def _spec(kind: str, rng: random.Random) -> dict:
    options = ["党的全国代表大会", "党的中央委员会", "中央政治局", "中央纪律检查委员会"]
    if kind == "single":
        return {"options": options, "answer": rng.randrange(4)}
    if kind == "multiple":
        return {
            "options": options,
            "answers": sorted(rng.sample(range(4), 2)),
            "partial_credit": 0.5,
        }
    if kind == "judge":
        return {"answer": rng.random() < 0.5}
    if kind == "fill":
        return {"blanks": [["民主集中制", "民主集中"]], "any_order": False}
    return {"reference": "坚持以党的政治建设为统领。", "key_points": ["政治建设"]}


def insert_questions(session: Session, plan: Plan) -> int:
    """One bank at the root with a two-level knowledge tree, 30 tags, a few source document
    versions, and `plan.questions` questions each with one version and up to two tags."""
    rng, now = plan.rng, plan.now
    bank_id = _next_id(session, QuestionBank)
    session.execute(
        insert(QuestionBank),
        [
            {
                "id": bank_id,
                "name": "基准测试题库",
                "unit_id": plan.root_id,
                "two_person_review": True,
                "is_default": True,
                "created_at": now,
            }
        ],
    )
    points, point_id = [], _next_id(session, KnowledgePoint)
    for chapter in ("党章", "党员教育管理工作条例", "党史", "纪律处分条例", "组织生活"):
        parent = {
            "id": point_id,
            "bank_id": bank_id,
            "parent_id": None,
            "name": chapter,
            "path": f"/{point_id}/",
            "full_name": chapter,
        }
        points.append(parent)
        point_id += 1
        for number in range(1, 11):
            name = f"第{number}章"
            points.append(
                {
                    "id": point_id,
                    "bank_id": bank_id,
                    "parent_id": parent["id"],
                    "name": name,
                    "path": f"{parent['path']}{point_id}/",
                    "full_name": f"{chapter} › {name}",
                }
            )
            point_id += 1
    _bulk_insert(session, KnowledgePoint, points)
    leaves = [p["id"] for p in points if p["parent_id"] is not None]
    tag_id = _next_id(session, Tag)
    tags = [{"id": tag_id + n, "bank_id": bank_id, "name": f"标签{n + 1}"} for n in range(30)]
    _bulk_insert(session, Tag, tags)
    source_id = _next_id(session, SourceDocument)
    sources = [
        {
            "id": source_id + n,
            "name": name,
            "version": version,
            "is_superseded": False,
            "superseded_at": None,
            "created_at": now,
        }
        for n, (name, version) in enumerate(
            [
                ("《中国共产党章程》", "2022-10-22"),
                ("《中国共产党章程》", "2017-10-24"),
                ("《中国共产党党员教育管理工作条例》", "2019-05-06"),
                ("《中国共产党纪律处分条例》", "2023-12-19"),
            ]
        )
    ]
    _bulk_insert(session, SourceDocument, sources)
    kinds, kind_weights = zip(*QUESTION_TYPES, strict=True)
    statuses, status_weights = zip(*STATUS_WEIGHTS, strict=True)
    first_id = _next_id(session, Question)
    questions, versions, links = [], [], []
    for offset in range(plan.questions):
        qid = first_id + offset
        kind = rng.choices(kinds, kind_weights)[0]
        stem = (
            rng.choice(STEM_OPENINGS)
            + rng.choice(STEM_SUBJECTS)
            + rng.choice(STEM_ENDINGS)
            + f"（{qid}）"
        )
        difficulty = rng.randint(1, 5)
        questions.append(
            {
                "id": qid,
                "bank_id": bank_id,
                "type": kind,
                "status": rng.choices(statuses, status_weights)[0],
                "knowledge_point_id": rng.choice(leaves),
                "author_id": plan.admin_id,
                "reviewer_id": None,
                "reviewed_at": None,
                "status_reason": "",
                "current_version_id": None,
                "stem": stem,
                "stem_key": normalise_stem(stem)[:255],
                "difficulty": difficulty,
                "created_at": now,
                "updated_at": now,
            }
        )
        source = rng.choice(sources)
        versions.append(
            {
                "id": qid,
                "question_id": qid,
                "number": 1,
                "stem": stem,
                "spec": _spec(kind, rng),
                "points": 1,
                "difficulty": difficulty,
                "explanation": "",
                "source_document": source["name"] + "第十条",
                "source_version": source["version"],
                "source_id": source["id"],
                "audience": "all",
                "created_at": now,
                "created_by_id": plan.admin_id,
                "used_at": None,
                "use_count": 0,
            }
        )
        for tag in rng.sample(tags, rng.randint(0, 2)):
            links.append({"question_id": qid, "tag_id": tag["id"]})
    _bulk_insert(session, Question, questions)
    _bulk_insert(session, QuestionVersion, versions)
    for chunk in _batches(links):
        session.execute(question_tag_links.insert(), chunk)
    session.execute(
        sa.update(Question)
        .where(Question.bank_id == bank_id)
        .values(current_version_id=Question.id)
        .execution_options(synchronize_session=False)
    )
    return len(questions)


def _next_id(session: Session, model) -> int:
    return (session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def insert_discussion_thread(session: Session, plan: Plan) -> int:
    """The first branch's board with one thread of `plan.thread_replies` published replies by
    the branch's members (ids assigned by the database, so no sequence needs moving)."""
    from learnapp.discussions.models import Board, BoardKind, Post, PostState, Thread

    branch_id = plan.branch_ids[0]
    authors = list(
        session.scalars(sa.select(User.id).where(User.unit_id == branch_id).order_by(User.id))
    )
    board = Board(
        kind=BoardKind.BRANCH, name="基准支部版块", unit_id=branch_id, created_at=plan.now
    )
    session.add(board)
    session.flush()
    thread = Thread(
        board_id=board.id,
        author_id=authors[0],
        title="基准测试：长主题",
        state=PostState.PUBLISHED,
        created_at=plan.now,
        last_post_at=plan.now,
    )
    session.add(thread)
    session.flush()
    text = "学习贯彻党的创新理论，结合岗位实际谈体会。" * 8
    rows = [
        {
            "thread_id": thread.id,
            "author_id": authors[number % len(authors)],
            "is_opening": number == 0,
            "quoted_post_id": None,
            "body_source": f"第{number}楼：{text}",
            "body_html": f"<p>第{number}楼：{text}</p>",
            "state": PostState.PUBLISHED.value,
            "hold_reasons": [],
            "hit_terms": [],
            "created_at": plan.now,
        }
        for number in range(plan.thread_replies + 1)
    ]
    _bulk_insert(session, Post, rows)
    thread.last_post_id = session.scalar(
        sa.select(sa.func.max(Post.id)).where(Post.thread_id == thread.id)
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("boards", "threads", "posts"):
            session.execute(sa.text(f"ANALYZE {table}"))
    return len(rows)


def _finish_postgresql(session: Session, plan: Plan) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows written, and
    gather statistics now rather than whenever autovacuum gets round to it."""
    tables = ["units", "users", "role_assignments"]
    if plan.questions:
        tables += [
            "question_banks",
            "knowledge_points",
            "question_tags",
            "source_documents",
            "questions",
            "question_versions",
        ]
    for table in tables:
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (fixed names)
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    for table in [*tables, "question_tag_links"] if plan.questions else tables:
        session.execute(sa.text(f"ANALYZE {table}"))


def generate(session: Session, plan: Plan) -> Counts:
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise SystemExit("the database already has users: bench data goes into an empty database")
    counts = Counts()
    _timed(counts, "units", insert_units, session, plan)
    _timed(counts, "users", insert_users, session, plan)
    _timed(counts, "role_assignments", insert_role_assignments, session, plan)
    if plan.questions:
        _timed(counts, "questions", insert_questions, session, plan)
    if plan.thread_replies:
        _timed(counts, "discussion_posts", insert_discussion_thread, session, plan)
    if session.get_bind().dialect.name == "postgresql":
        session.flush()
        _finish_postgresql(session, plan)
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--members", type=int, required=True, help="members to create (N)")
    parser.add_argument("--branches", type=int, help="branches (default: ceil(N / 50))")
    parser.add_argument("--database-url", help="default: $LEARNAPP_DATABASE_URL")
    parser.add_argument("--seed", type=int, default=20261125, help="random seed")
    parser.add_argument("--questions", type=int, default=0, help="question bank questions")
    parser.add_argument(
        "--thread-replies", type=int, default=0, help="replies in one discussion thread"
    )
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
            questions=args.questions,
            thread_replies=args.thread_replies,
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
