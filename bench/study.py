"""Study: the heartbeat endpoint under load, and the My study page with a long ledger.

    python -m bench.study [--members 2000] [--concurrency 32] [--seconds 10] [--repeat 3]
                          [--entries 2000]

1. Builds a throwaway SQLite database with bench.generate, then adds ten published courses of
   thirty lessons, gives `--concurrency` generated members a password, and writes `--entries`
   ledger entries of this year for bench-secretary (300 completed lessons, the rest self-study).
2. Serves bench.hello_app and learnapp, each with `gunicorn -w 2` (SQLite in WAL mode, as
   `make run`), and loads them in turn, `--repeat` times, so that every heartbeat figure has a
   hello figure taken moments before it on the same machine. Against the hello app the load is
   GET / (the ceiling); against learnapp each of the `--concurrency` threads is a different
   member who opened one study session on a lesson and posts heartbeats on it back to back
   (JSON, CSRF header, increasing sequence numbers): every request does the whole crediting work
   (login session, study state, clock, session, heartbeat and progress writes, completion check)
   and commits.
3. In-process with Flask's test client, CPU time per request (`time.process_time()`, the figure
   other programs on the machine disturb least): the hello app's GET / and one heartbeat.
4. Times GET /study/me for bench-secretary in-process with Flask's test client (server time
   without network), first page and last page of the ledger.

Figures go to bench/out/ and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.generate import BENCH_PASSWORD, SECRETARY_LOGIN
from bench.home import (
    Measurement,
    _children,
    _cpu_seconds,
    _machine_busy_seconds,
    gunicorn,
    machine,
    measure,
)
from bench.load import TIMEOUT, BenchError, Client, LoadResult, login

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
COURSES, LESSONS_PER_COURSE, COMPLETED_LESSONS = 10, 30, 300
WARM_UP = 5
CPU_WARM_UP, CPU_RUNS = 200, 2000
BEAT_TARGET = "learnapp POST heartbeat"
LOGIN_WINDOW_SECONDS = 61  # the login form's rate limit: 30 posts a minute per address


def prepare(database_url: str, members: int, entries: int) -> dict:
    """Courses, study logins and a long ledger, written straight into the generated database."""
    import sqlalchemy as sa

    from learnapp import create_app
    from learnapp.accounts.models import User
    from learnapp.accounts.passwords import hash_password
    from learnapp.courses.models import Course, CourseState, Lesson, LessonKind, Module
    from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
    from learnapp.hours.services import ensure_default_rule_set
    from learnapp.orgs.models import Unit

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    now = datetime.now(UTC)
    with app.app_context():
        password_hash = hash_password(BENCH_PASSWORD)
        with app.extensions["learnapp.db"].session_scope() as session:
            root = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)))
            lesson_ids = []
            for number in range(COURSES):
                course = Course(
                    slug=f"bench-course-{number}",
                    title=f"基准课程{number + 1}",
                    summary="",
                    is_required=number < 3,
                    state=CourseState.PUBLISHED,
                    owner_unit_id=root.id,
                    created_at=now,
                    updated_at=now,
                )
                module = Module(course=course, position=0, title="第一章")
                session.add_all([course, module])
                for position in range(LESSONS_PER_COURSE):
                    lesson = Lesson(
                        module=module,
                        position=position,
                        slug=f"bench-{number}-{position}",
                        title=f"第{position + 1}节 基准课节",
                        kind=LessonKind.TEXT,
                        length_seconds=3600,
                        required_share=Decimal("0.80"),
                        nominal_hours=Decimal("1"),
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(lesson)
                session.flush()
                lesson_ids.extend(lesson.id for lesson in module.lessons)
            learners = session.scalars(
                sa.select(User)
                .where(User.unit_id.is_not(None), User.is_active.is_(True))
                .order_by(User.id)
                .limit(members)
            ).all()
            for user in learners:
                user.password_hash = password_hash
            secretary = session.scalar(sa.select(User).where(User.username == SECRETARY_LOGIN))
            rule_set = ensure_default_rule_set(session, now)
            year = now.year
            rows = []
            for index in range(entries):
                lesson = index < COMPLETED_LESSONS
                rows.append(
                    {
                        "member_id": secretary.id,
                        "category": HoursCategory.ONLINE if lesson else HoursCategory.SELF_STUDY,
                        "source_type": SourceType.LESSON if lesson else SourceType.SELF_STUDY,
                        "source_id": str(lesson_ids[index]) if lesson else secrets.token_hex(16),
                        "verified_seconds": 2900 if lesson else 0,
                        "hours": Decimal("1") if lesson else Decimal("0.5"),
                        "nominal_hours": Decimal("1") if lesson else Decimal("0.5"),
                        "rule_set_id": rule_set.id,
                        "credited_on": date(year, 1, 1) + timedelta(days=index % 300),
                        "year": year,
                        "status": EntryStatus.CREDITED,
                        "reverses_id": None,
                        "approver_id": None,
                        "created_at": now,
                        "note": "基准自学记录" if not lesson else "",
                    }
                )
            session.execute(sa.insert(LedgerEntry), rows)
            names = [user.username for user in learners]
            study_lesson = lesson_ids[-1]
    app.extensions["learnapp.db"].engine.dispose()
    return {"learners": names, "lesson_id": study_lesson}


def _post_json(client: Client, path: str, payload: dict, token: str):
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token,
    }
    status, _, body = client.send("POST", path, json.dumps(payload).encode(), headers)
    return status, body


def open_sessions(port: int, learners: list[str], lesson_id: int) -> list[dict]:
    """Log each learner in, open the lesson page and start one study session."""
    tabs = []
    for username in learners:
        try:
            cookies = login(port, username, BENCH_PASSWORD)
        except BenchError:
            # The login form allows 30 posts a minute per address in each worker, and gunicorn
            # may hand one worker more than 30 of the logins: wait for the window once.
            time.sleep(LOGIN_WINDOW_SECONDS)
            cookies = login(port, username, BENCH_PASSWORD)
        client = Client(port, cookies)
        status, _, page = client.request("GET", f"/study/lessons/{lesson_id}")
        match = CSRF.search(page.decode())
        if status != 200 or not match:
            raise BenchError(f"{username} cannot open lesson {lesson_id}: {status}")
        token = match.group(1)
        status, body = _post_json(client, f"/study/lessons/{lesson_id}/sessions", {}, token)
        if status != 201:
            raise BenchError(f"{username} cannot start a study session: {status}")
        client.close()
        tabs.append(
            {"cookies": client.cookies, "token": token, "url": json.loads(body)["beat_url"]}
        )
    return tabs


def beat_load(port: int, tabs: list[dict], seconds: float, seq_start: int) -> LoadResult:
    """Each thread posts heartbeats on its own session back to back for `seconds`."""
    result = LoadResult(seconds=seconds, concurrency=len(tabs))
    lock = threading.Lock()
    start_line = threading.Barrier(len(tabs) + 1)
    deadline = [0.0]

    def worker(tab: dict) -> None:
        client = Client(port, tab["cookies"])
        latencies, statuses, errors = [], Counter(), Counter()
        seq = seq_start
        start_line.wait()
        try:
            while time.perf_counter() < deadline[0]:
                seq += 1
                began = time.perf_counter()
                try:
                    status, _ = _post_json(client, tab["url"], {"seq": seq}, tab["token"])
                except (OSError, http.client.HTTPException) as error:
                    errors[type(error).__name__] += 1
                    continue
                statuses[status] += 1
                if status == 200:
                    latencies.append(time.perf_counter() - began)
        finally:
            client.close()
            with lock:
                result.latencies.extend(latencies)
                result.statuses.update(statuses)
                result.errors.update(errors)
                result.connections += client.connections

    threads = [threading.Thread(target=worker, args=(tab,), daemon=True) for tab in tabs]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join(seconds + TIMEOUT + 5)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu_before
    return result


def measure_beats(process, port: int, tabs: list[dict], args, seq_start: int) -> Measurement:
    beat_load(port, tabs, args.warmup, seq_start)
    workers = _children(process.pid)
    cpu_before, busy_before = _cpu_seconds(workers), _machine_busy_seconds()
    load = beat_load(port, tabs, args.seconds, seq_start + 1_000_000)
    measurement = Measurement(
        BEAT_TARGET,
        load,
        _cpu_seconds(workers) - cpu_before,
        _machine_busy_seconds() - busy_before,
    )
    row = measurement.row()
    print(
        f"  heartbeats: {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
        f"{row['failed']} failed, other programs used {row['other_cpu_cores']} cores",
        flush=True,
    )
    return measurement


def _cpu_per_request(call) -> dict:
    """CPU time of `call` (one request through a test client): median and p90, in ms."""
    for _ in range(CPU_WARM_UP):
        call()
    timings = []
    for _ in range(CPU_RUNS):
        started = time.process_time()
        call()
        timings.append(time.process_time() - started)
    ordered = sorted(timings)
    return {
        "median_ms": round(statistics.median(timings) * 1000, 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
    }


def _logged_in_client(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise BenchError(f"in-process login as {username} failed: {response.status_code}")
    return client


def cpu_in_process(database_url: str, username: str, lesson_id: int) -> list[dict]:
    """CPU per request without network or gunicorn: the hello app, then one heartbeat."""
    from bench.hello_app import app as hello
    from learnapp import create_app

    hello_client = hello.test_client()

    def hello_call():
        if hello_client.get("/").status_code != 200:
            raise BenchError("hello app answered an error")

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    client = _logged_in_client(app, username)
    page = client.get(f"/study/lessons/{lesson_id}").get_data(as_text=True)
    headers = {"X-CSRFToken": CSRF.search(page).group(1)}
    started = client.post(f"/study/lessons/{lesson_id}/sessions", json={}, headers=headers)
    beat_url = started.get_json()["beat_url"]
    seq = [0]

    def beat_call():
        seq[0] += 1
        response = client.post(beat_url, json={"seq": seq[0]}, headers=headers)
        if response.status_code != 200:
            raise BenchError(f"in-process heartbeat answered {response.status_code}")

    rows = [
        {"case": "bare Flask GET /", **_cpu_per_request(hello_call)},
        {"case": BEAT_TARGET, **_cpu_per_request(beat_call)},
    ]
    app.extensions["learnapp.db"].engine.dispose()
    return rows


def my_study_times(database_url: str, runs: int) -> list[dict]:
    from learnapp import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    client = _logged_in_client(app, SECRETARY_LOGIN)
    rows = []
    for label, query in (("first page", {}), ("last page", {"page": "20"})):
        timings, cpu = [], []
        for attempt in range(WARM_UP + runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get("/study/me", query_string=query)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or b"ledger-entry" not in response.data:
                raise BenchError(f"/study/me ({label}) answered {response.status_code}")
            if attempt >= WARM_UP:
                timings.append(elapsed)
                cpu.append(time.process_time() - cpu_started)
        ordered = sorted(timings)
        rows.append(
            {
                "case": f"/study/me, {label}",
                "median_ms": round(statistics.median(timings) * 1000, 1),
                "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
                "max_ms": round(max(timings) * 1000, 1),
                "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
            }
        )
    app.extensions["learnapp.db"].engine.dispose()
    return rows


def run(args, work: Path) -> dict:
    database_url = f"sqlite:///{work / 'learnapp.db'}"
    env = {
        **os.environ,
        "LEARNAPP_ENV": "production",
        "LEARNAPP_SECRET_KEY": secrets.token_urlsafe(32),
        "LEARNAPP_DATA_DIR": str(work),
        "LEARNAPP_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    generated = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--members", str(args.members)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if generated.returncode:
        raise BenchError(f"bench.generate failed:\n{generated.stderr}")
    plan = prepare(database_url, args.concurrency, args.entries)
    print(f"prepared: {len(plan['learners'])} learners, {args.entries} ledger entries", flush=True)

    rows = []
    with (
        gunicorn("bench.hello_app:app", env, work / "hello.log", args.workers, "/") as hello,
        gunicorn(
            "learnapp:create_app()", env, work / "learnapp.log", args.workers, "/healthz"
        ) as learnapp,
    ):
        tabs = open_sessions(learnapp[1], plan["learners"], plan["lesson_id"])
        for number in range(args.repeat):
            print(f"round {number + 1} of {args.repeat}", flush=True)
            pair = [
                measure("bare Flask /", *hello, "/", args).row(),
                measure_beats(*learnapp, tabs, args, number * 10_000_000).row(),
            ]
            rows.extend({"round": number + 1, **row} for row in pair)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "members": args.members,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "load": rows,
        "cpu_in_process": cpu_in_process(database_url, plan["learners"][0], plan["lesson_id"]),
        "my_study": my_study_times(database_url, args.runs),
        "ledger_entries": args.entries,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.study", description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3, help="hello/heartbeat pairs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="learnapp-bench-study-") as work:
        summary = run(args, Path(work))
    print(
        "\n| round | target | req/s | p50 ms | p99 ms | server CPU ms/req | client cores "
        "| other cores | failed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in summary["load"]:
        print(
            f"| {row['round']} | {row['target']} | {row['rps']:,.0f} | {row['p50_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {row['server_cpu_ms_per_request']:.2f} "
            f"| {row['client_cpu_cores']:.2f} | {row['other_cpu_cores']:.2f} | {row['failed']} |"
        )
    hello = {row["round"]: row["rps"] for row in summary["load"] if row["target"] != BEAT_TARGET}
    ratios = [
        row["rps"] / hello[row["round"]]
        for row in summary["load"]
        if row["target"] == BEAT_TARGET and hello.get(row["round"])
    ]
    print("heartbeat req/s ÷ hello req/s, per round:", ", ".join(f"{r:.3f}" for r in ratios))
    print("\nCPU per request in-process (test client, no network):")
    for row in summary["cpu_in_process"]:
        print(f"  {row['case']}: median {row['median_ms']} ms, p90 {row['p90_ms']} ms")
    print(f"\nMy study with {summary['ledger_entries']} ledger entries (in-process server time):")
    for row in summary["my_study"]:
        print(
            f"  {row['case']}: median {row['median_ms']} ms, p95 {row['p95_ms']} ms, "
            f"CPU median {row['cpu_median_ms']} ms"
        )
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"study-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
