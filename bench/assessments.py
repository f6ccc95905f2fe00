"""Assessments: freezing every dossier at period close, and a branch's assessment page.

    python -m bench.assessments [--members 100000] [--database-url URL] [--page-runs 30]

Budgets from the issue, checked in the same run: dossiers for all members computed at period
close in under 120 s on PostgreSQL with bounded memory; a branch's assessment page in under
200 ms of server time.

1. Builds the organisation with bench.generate (one 党委, ceil(N/50) branches) in a fresh
   database (default: a scratch PostgreSQL database on 127.0.0.1, dropped at the end), then adds
   evidence: three ledger entries per member this year, three required courses of three
   lessons (half the members completed the first), four meetings per branch with attendance
   for every party member, and a discussion thread of published replies in the first branch.
2. Creates a period per branch through the service, moves them to the evaluation step and
   makes their close due; then, in a child process (so that its peak memory is its own), runs
   the schedule job once: it freezes every branch's dossiers. Reports seconds, dossiers and the
   child's peak RSS. With --members-small it also freezes a smaller organisation, so peak
   memory can be compared across sizes (bounded: it does not grow with the organisation).
3. Times GET /assessments/periods/<first branch> (and its rules preview, which computes the
   evidence live) for bench-secretary in-process with Flask's test client: server time, no
   network.

Raw figures go to bench/out/assessments-<time>.json; bench/RESULTS.md summarises them.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FREEZE_BUDGET_SECONDS = 120.0
PAGE_BUDGET_MS = 200.0
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _app(url: str):
    from learnapp import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})


def build(url: str, members: int) -> dict:
    """The organisation, the evidence, and one due period per branch."""
    from bench.generate import Plan, _next_id, generate
    from learnapp.accounts.models import User
    from learnapp.accounts.passwords import hash_password
    from learnapp.cli import upgrade_database
    from learnapp.orgs.models import Unit

    app = _app(url)
    database = app.extensions["learnapp.db"]
    upgrade_database(database.engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with app.app_context():
        password_hash = hash_password("learnapp-bench")
        with database.session_scope() as session:
            plan = Plan(
                members=members,
                branches=-(-members // 50),
                now=now,
                rng=random.Random(20261125),
                first_unit_id=_next_id(session, Unit),
                first_user_id=_next_id(session, User),
                password_hash=password_hash,
                thread_replies=200,
            )
            generate(session, plan)
        generated = time.perf_counter()
        with database.session_scope() as session:
            counts = add_evidence(session, plan, now)
        with database.session_scope() as session:
            periods = add_periods(session, plan, now)
    database.engine.dispose()
    return {
        "generate_seconds": round(generated - started, 1),
        "evidence_seconds": round(time.perf_counter() - generated, 1),
        "rows": counts,
        "periods": periods,
        "first_branch_id": plan.branch_ids[0],
    }


def add_evidence(session, plan, now: datetime) -> dict:
    from learnapp.accounts.models import User
    from learnapp.courses.models import Course, CourseState, Lesson, LessonKind, Module
    from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
    from learnapp.hours.services import ensure_default_rule_set
    from learnapp.orglife.models import Attendance, Meeting, MeetingAttendance, MeetingKind
    from learnapp.orgs.models import MemberCategory
    from learnapp.study.models import LessonProgress

    rng = random.Random(7)
    year = now.year
    rule_set = ensure_default_rule_set(session, now)
    members = session.execute(
        sa.select(User.id, User.unit_id, User.category).where(User.unit_id.is_not(None))
    ).all()
    lessons = []
    for number in range(3):
        course = Course(
            slug=f"bench-required-{number}",
            title=f"必修基准课程{number + 1}",
            is_required=True,
            state=CourseState.PUBLISHED,
            owner_unit_id=plan.root_id,
            created_at=now,
            updated_at=now,
        )
        module = Module(course=course, position=0, title="第一章")
        session.add_all([course, module])
        for position in range(3):
            lesson = Lesson(
                module=module,
                position=position,
                slug=f"bench-required-{number}-{position}",
                title=f"第{position + 1}节",
                kind=LessonKind.TEXT,
                length_seconds=1800,
                required_share=Decimal("0.80"),
                nominal_hours=Decimal("1"),
                created_at=now,
                updated_at=now,
            )
            session.add(lesson)
            if number == 0:
                lessons.append(lesson)
    session.flush()
    counts = {"ledger": 0, "lesson_progress": 0, "meetings": 0, "attendance": 0}
    ledger, progress = [], []

    def flush_rows():
        if ledger:
            session.execute(sa.insert(LedgerEntry), ledger)
        if progress:
            session.execute(sa.insert(LessonProgress), progress)
        ledger.clear()
        progress.clear()

    for member_id, _unit_id, _category in members:
        for entry in range(3):
            ledger.append(
                {
                    "member_id": member_id,
                    "category": HoursCategory.COLLECTIVE if entry else HoursCategory.ONLINE,
                    "source_type": SourceType.CLAIM,
                    "source_id": f"bench-{member_id}-{entry}",
                    "verified_seconds": 0,
                    "hours": Decimal(rng.choice(("4", "8", "12"))),
                    "nominal_hours": Decimal("8"),
                    "rule_set_id": rule_set.id,
                    "credited_on": date(year, 1 + entry * 3, 10),
                    "year": year,
                    "status": EntryStatus.CREDITED,
                    "reverses_id": None,
                    "approver_id": None,
                    "created_at": now,
                    "note": "",
                }
            )
        counts["ledger"] += 3
        if rng.random() < 0.5:
            for lesson in lessons:
                progress.append(
                    {
                        "member_id": member_id,
                        "lesson_id": lesson.id,
                        "verified_seconds": 1500,
                        "reached_end": True,
                        "coverage": [],
                        "started_at": now,
                        "last_studied_at": now,
                        "completed_at": now,
                    }
                )
            counts["lesson_progress"] += len(lessons)
        if len(ledger) >= 15_000:
            flush_rows()
    flush_rows()
    party = (MemberCategory.FULL, MemberCategory.PROBATIONARY)
    by_branch: dict[int, list[tuple[int, MemberCategory]]] = {}
    for member_id, unit_id, category in members:
        if category in party:
            by_branch.setdefault(unit_id, []).append((member_id, category))
    attendance = []
    for branch_id in plan.branch_ids:
        meetings = [
            {
                "unit_id": branch_id,
                "kind": MeetingKind.GENERAL,
                "title": f"第{quarter + 1}季度支部党员大会",
                "held_on": date(year, 3 * quarter + 1, 15),
                "created_at": now,
            }
            for quarter in range(4)
        ]
        ids = session.scalars(sa.insert(Meeting).returning(Meeting.id), meetings).all()
        counts["meetings"] += len(ids)
        for meeting_id in ids:
            for member_id, category in by_branch.get(branch_id, []):
                roll = rng.random()
                status = (
                    Attendance.PRESENT
                    if roll < 0.85
                    else Attendance.LEAVE
                    if roll < 0.95
                    else Attendance.ABSENT
                )
                attendance.append(
                    {
                        "meeting_id": meeting_id,
                        "member_id": member_id,
                        "status": status,
                        "category": category,
                    }
                )
        if len(attendance) >= 15_000:
            session.execute(sa.insert(MeetingAttendance), attendance)
            counts["attendance"] += len(attendance)
            attendance.clear()
    if attendance:
        session.execute(sa.insert(MeetingAttendance), attendance)
        counts["attendance"] += len(attendance)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("hours_ledger", "lesson_progress", "orglife_meetings", "orglife_attendances"):
            session.execute(sa.text(f"ANALYZE {table}"))
    return counts


def add_periods(session, plan, now: datetime) -> int:
    """A period per branch through the service, then moved to the evaluation with its close
    due (the steps before it are not what is measured)."""
    from learnapp.accounts.models import User
    from learnapp.assessments.models import AssessmentPeriod, Step
    from learnapp.assessments.periods import create_period
    from learnapp.orgs.models import Unit

    admin = session.scalar(sa.select(User).where(User.username == "bench-admin"))
    start = now - timedelta(days=40)
    for branch_id in plan.branch_ids:
        create_period(
            session,
            admin,
            session.get(Unit, branch_id),
            year=now.year,
            self_opens_at=start,
            peer_opens_at=start + timedelta(days=10),
            ballot_opens_at=start + timedelta(days=20),
            ballot_closes_at=start + timedelta(days=30),
            now=now,
        )
    session.execute(sa.update(AssessmentPeriod).values(step=Step.EVALUATION))
    return len(plan.branch_ids)


def _memory_mb() -> dict:
    """This process's resident memory and its high-water mark, from /proc (ru_maxrss would
    carry the parent's peak over the exec of this child)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)
    return values


def freeze(url: str) -> dict:
    """Run the schedule job once (it freezes every due period); in its own process."""
    from learnapp.assessments.models import Dossier
    from learnapp.jobs import JobOutcome, run_job

    app = _app(url)
    with app.app_context():
        rss_before = _memory_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        run = run_job("assessments.run_schedule")
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        if run.outcome != JobOutcome.SUCCESS:
            raise SystemExit(f"job failed: {run.error}")
        with app.extensions["learnapp.db"].session_scope() as session:
            dossiers = session.scalar(sa.select(sa.func.count()).select_from(Dossier))
    return {
        "seconds": round(seconds, 2),
        "python_cpu_seconds": round(cpu_seconds, 2),
        "load_average": os.getloadavg(),
        "summary": run.summary,
        "dossiers": dossiers,
        "peak_rss_mb_before": rss_before["VmHWM"],
        "peak_rss_mb": _memory_mb()["VmHWM"],
    }


def _freeze_in_child(url: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.assessments", "--freeze-only", "--database-url", url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def page_times(url: str, branch_id: int, runs: int) -> dict:
    """Server time of the branch's assessment page and its live preview, in-process."""
    from learnapp.assessments.models import AssessmentPeriod, Dossier

    app = _app(url)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"username": "bench-secretary", "password": "learnapp-bench", "csrf_token": token},
    )
    with app.extensions["learnapp.db"].session_scope() as session:
        period_id = session.scalar(
            sa.select(AssessmentPeriod.id).where(AssessmentPeriod.unit_id == branch_id)
        )
    result = {}
    for name, path in (
        ("period_page", f"/assessments/periods/{period_id}"),
        ("preview_live", f"/assessments/periods/{period_id}/preview"),
        ("dossier_page", None),
    ):
        if path is None:
            with app.extensions["learnapp.db"].session_scope() as session:
                member_id = session.scalar(
                    sa.select(Dossier.member_id).where(Dossier.period_id == period_id).limit(1)
                )
            path = f"/assessments/periods/{period_id}/dossiers/{member_id}"
        timings = []
        for _ in range(runs + 3):
            began = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        timings = sorted(timings[3:])
        result[name] = {
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
            "max_ms": round(timings[-1], 1),
        }
    app.extensions["learnapp.db"].engine.dispose()
    return result


def _scratch(label: str):
    import psycopg

    name = f"bench_assess_{label}_{os.getpid()}"
    plain = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_BASE.rsplit("/", 1)[0] + "/" + name, drop


def run_size(members: int, url: str | None, runs: int, label: str) -> dict:
    drop = None
    if url is None:
        url, drop = _scratch(label)
    try:
        built = build(url, members)
        frozen = _freeze_in_child(url)
        pages = page_times(url, built.pop("first_branch_id"), runs)
    finally:
        if drop is not None:
            drop()
    return {"members": members, **built, "freeze": frozen, "pages": pages}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.assessments", description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--members-small", type=int, default=0, help="also run this size")
    parser.add_argument("--database-url", help="an empty database (default: scratch PostgreSQL)")
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--freeze-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.freeze_only:
        print(json.dumps(freeze(args.database_url)))
        return 0
    sizes = [s for s in (args.members_small, args.members) if s]
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}
    for size in sizes:
        url = args.database_url if size == args.members else None
        result = run_size(size, url, args.page_runs, str(size))
        result["budgets"] = {
            "freeze_seconds": FREEZE_BUDGET_SECONDS,
            "freeze_within_budget": result["freeze"]["seconds"] < FREEZE_BUDGET_SECONDS,
            "page_ms": PAGE_BUDGET_MS,
            "page_within_budget": result["pages"]["period_page"]["p95_ms"] < PAGE_BUDGET_MS,
        }
        report["runs"].append(result)
        print(json.dumps(result, ensure_ascii=False, indent=2))
    OUT.mkdir(exist_ok=True)
    path = OUT / f"assessments-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
