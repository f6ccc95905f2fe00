"""Quizzes: the exam-start storm and autosave under load, beside the bare Flask ceiling.

    python -m bench.quizzes [--members 1000] [--window 60] [--concurrency 64] [--seconds 10]
                            [--database-url URL]

1. Builds a throwaway SQLite database with bench.generate (members and a 3,000-question bank;
   or fills the EMPTY database given, e.g. PostgreSQL), then publishes one exam of random
   composition (10 single + 5 multiple + 5 true/false, drawn per examinee from a stored seed)
   for the whole organisation, and opens a login session for every member directly in the
   database (logging 1,000 people in through argon2 would measure the password hash).
2. Serves bench.hello_app, then learnapp, with `gunicorn -w 2` (never both at once).
   - ceiling: GET / of the hello app from `--concurrency` threads;
   - start storm: every one of `--members` members POSTs /quizzes/<id>/start once, at a
     uniformly random moment of a `--window`-second window (open loop: arrivals do not wait for
     earlier answers; a pool of 128 threads sends them). Each start composes a paper, freezes
     versions and option order, and commits. Success = 302 to the member's attempt;
   - autosave: `--concurrency` examinees post answers to their attempt back to back, each save
     based on the sequence number the previous one returned (JSON, CSRF header).
Figures go to bench/out/ and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.home import (
    Measurement,
    _children,
    _cpu_seconds,
    _machine_busy_seconds,
    gunicorn,
    machine,
    measure,
)
from bench.load import TIMEOUT, BenchError, Client, LoadResult

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
STARTED = re.compile(r"/quizzes/attempts/(\d+)$")
STORM_THREADS = 128
IN_PROCESS = 30  # examinees kept aside for the in-process CPU measurement


def prepare(database_url: str, secret_key: str, members: int) -> dict:
    """Publish a random-composition exam and open a login session per member."""
    import sqlalchemy as sa
    from flask import g
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from learnapp import create_app
    from learnapp.accounts.models import AuthSession, User
    from learnapp.orgs.models import Unit
    from learnapp.question_bank.models import QuestionBank
    from learnapp.quizzes.authoring import QuizSettings, create_quiz, publish_quiz
    from learnapp.quizzes.composition import RuleInput, add_rule
    from learnapp.quizzes.models import Composition, QuizKind

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key})
    now = datetime.now(UTC)
    database = app.extensions["learnapp.db"]
    with app.test_request_context():
        with database.session_scope() as session:
            root = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)))
            bank = session.scalar(sa.select(QuestionBank).order_by(QuestionBank.id))
            quiz = create_quiz(
                session,
                None,
                QuizSettings(
                    title="基准考试",
                    kind=QuizKind.EXAM,
                    owner_unit=root,
                    composition=Composition.RANDOM,
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=1),
                    duration_seconds=3600,
                    shuffle_options=True,
                    attempts_allowed=1,
                ),
                now,
            )
            for code, count in (("single", 10), ("multiple", 5), ("judge", 5)):
                add_rule(
                    session, None, quiz, RuleInput(bank, None, code, None, count, Decimal(1)), now
                )
            publish_quiz(session, None, quiz, now)
            quiz_id = quiz.id
            users = session.scalars(
                sa.select(User)
                .where(User.unit_id.is_not(None), User.is_active.is_(True))
                .order_by(User.id)
                .limit(members)
            ).all()
            sessions = []
            for user in users:
                sid = secrets.token_urlsafe(32)
                session.add(
                    AuthSession(
                        id=sid,
                        user_id=user.id,
                        created_at=now,
                        expires_at=now + timedelta(days=1),
                    )
                )
                sessions.append(sid)
        serializer = app.session_interface.get_signing_serializer(app)
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        examinees = []
        for sid in sessions:
            flask_session.clear()  # a fresh session (and CSRF secret) per examinee
            flask_session["_user_id"] = sid
            flask_session["_fresh"] = True
            g.pop("csrf_token", None)
            token = generate_csrf()
            examinees.append(
                {"cookies": {cookie_name: serializer.dumps(dict(flask_session))}, "token": token}
            )
    database.engine.dispose()
    return {"quiz_id": quiz_id, "examinees": examinees}


def _post(client: Client, path: str, token: str, body: str, content_type: str):
    headers = {"Content-Type": content_type, "Accept": "application/json", "X-CSRFToken": token}
    return client.send("POST", path, body.encode(), headers)


def storm(port: int, quiz_id: int, examinees: list[dict], window: float) -> dict:
    """Every examinee starts once at a random moment of the window."""
    rng = random.Random(1)
    began = time.perf_counter()
    arrivals = sorted((rng.uniform(0, window), index) for index in range(len(examinees)))
    latencies, statuses, errors = [], Counter(), Counter()
    lock = threading.Lock()

    def start(arrival: float, index: int) -> None:
        delay = began + arrival - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        examinee = examinees[index]
        client = Client(port, examinee["cookies"])
        sent = time.perf_counter()
        try:
            status, headers, _ = _post(
                client,
                f"/quizzes/{quiz_id}/start",
                examinee["token"],
                f"csrf_token={examinee['token']}",
                "application/x-www-form-urlencoded",
            )
        except (OSError, http.client.HTTPException) as error:
            with lock:
                errors[type(error).__name__] += 1
            return
        finally:
            client.close()
        elapsed = time.perf_counter() - sent
        match = STARTED.search(headers.get("Location", ""))
        with lock:
            statuses[status] += 1
            if status == 302 and match:
                latencies.append(elapsed)
                examinee["attempt"] = int(match.group(1))

    with ThreadPoolExecutor(STORM_THREADS) as pool:
        for arrival, index in arrivals:
            pool.submit(start, arrival, index)
    ordered = sorted(latencies)

    def pct(fraction):
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {
        "members": len(examinees),
        "window_s": window,
        "elapsed_s": round(time.perf_counter() - began, 1),
        "started": len(latencies),
        "p50_ms": pct(0.5) if ordered else None,
        "p99_ms": pct(0.99) if ordered else None,
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": dict(errors),
    }


def _option_ids(client: Client, attempt_id: int) -> tuple[list[str], int]:
    status, _, page = client.request("GET", f"/quizzes/attempts/{attempt_id}")
    if status != 200:
        raise BenchError(f"attempt page answered {status}")
    text = page.decode()
    ids = re.findall(r'name="q1" id="q1-\d+" value="([^"]+)"', text)
    seq = int(re.search(r'name="seq-1" value="(\d+)"', text).group(1))
    return ids, seq


def autosave_load(port: int, examinees: list[dict], seconds: float) -> LoadResult:
    result = LoadResult(seconds=seconds, concurrency=len(examinees))
    lock = threading.Lock()
    start_line = threading.Barrier(len(examinees) + 1)
    deadline = [0.0]

    def worker(examinee: dict) -> None:
        client = Client(port, examinee["cookies"])
        latencies, statuses, errors = [], Counter(), Counter()
        try:
            ids, seq = _option_ids(client, examinee["attempt"])
        except (BenchError, OSError, http.client.HTTPException) as error:
            errors[type(error).__name__] += 1
            ids = []
        path = f"/quizzes/attempts/{examinee['attempt']}/answers"
        turn = 0
        start_line.wait()
        if not ids:
            with lock:
                result.errors.update(errors)
            client.close()
            return
        try:
            while time.perf_counter() < deadline[0]:
                turn += 1
                body = json.dumps(
                    {"position": 1, "seq": seq, "response": {"value": ids[turn % len(ids)]}}
                )
                began = time.perf_counter()
                try:
                    status, _, content = _post(
                        client, path, examinee["token"], body, "application/json"
                    )
                except (OSError, http.client.HTTPException) as error:
                    errors[type(error).__name__] += 1
                    continue
                statuses[status] += 1
                if status == 200:
                    latencies.append(time.perf_counter() - began)
                    seq = json.loads(content)["seq"]
        finally:
            client.close()
            with lock:
                result.connections += client.connections
                result.latencies.extend(latencies)
                result.statuses.update(statuses)
                result.errors.update(errors)

    threads = [threading.Thread(target=worker, args=(e,), daemon=True) for e in examinees]
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


def inprocess_cpu(database_url: str, secret_key: str, quiz_id: int, examinees: list[dict]):
    """CPU per start and per autosave measured in one process (`time.process_time`), which a
    busy machine disturbs far less than latency: each examinee starts once, then saves 20 times."""
    from learnapp import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "RATELIMIT_ENABLED": False}
    )
    start_cpu, save_cpu, saves = 0.0, 0.0, 0
    for examinee in examinees:
        client = app.test_client()
        for name, value in examinee["cookies"].items():
            client.set_cookie(name, value)
        headers = {"X-CSRFToken": examinee["token"]}
        began = time.process_time()
        response = client.post(f"/quizzes/{quiz_id}/start", headers=headers)
        start_cpu += time.process_time() - began
        match = STARTED.search(response.headers.get("Location", ""))
        if response.status_code != 302 or not match:
            raise BenchError(f"in-process start answered {response.status_code}")
        page = client.get(f"/quizzes/attempts/{match.group(1)}").get_data(as_text=True)
        ids = re.findall(r'name="q1" id="q1-\d+" value="([^"]+)"', page)
        seq = 0
        for turn in range(20):
            body = {"position": 1, "seq": seq, "response": {"value": ids[turn % len(ids)]}}
            began = time.process_time()
            saved = client.post(
                f"/quizzes/attempts/{match.group(1)}/answers", json=body, headers=headers
            )
            save_cpu += time.process_time() - began
            if saved.status_code != 200:
                raise BenchError(f"in-process save answered {saved.status_code}")
            seq = saved.json["seq"]
            saves += 1
    app.extensions["learnapp.db"].engine.dispose()
    return {
        "starts": len(examinees),
        "cpu_ms_per_start": round(start_cpu * 1000 / len(examinees), 2),
        "saves": saves,
        "cpu_ms_per_save": round(save_cpu * 1000 / saves, 2),
    }


def run(args, work: Path) -> dict:
    database_url = args.database_url or f"sqlite:///{work / 'learnapp.db'}"
    secret_key = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "LEARNAPP_ENV": "production",
        "LEARNAPP_SECRET_KEY": secret_key,
        "LEARNAPP_DATA_DIR": str(work),
        "LEARNAPP_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.generate",
            "--members",
            str(args.members + IN_PROCESS + 100),
            "--questions",
            "3000",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if generated.returncode:
        raise BenchError(f"bench.generate failed:\n{generated.stderr}")
    plan = prepare(database_url, secret_key, args.members + IN_PROCESS)
    reserved = plan["examinees"][args.members :]
    plan["examinees"] = plan["examinees"][: args.members]
    print(f"prepared: exam {plan['quiz_id']}, {len(plan['examinees'])} examinees", flush=True)
    rows = []
    with gunicorn("bench.hello_app:app", env, work / "hello.log", args.workers, "/") as (
        process,
        port,
    ):
        rows.append(measure("bare Flask /", process, port, "/", args).row())
    with gunicorn("learnapp:create_app()", env, work / "learnapp.log", 2, "/healthz") as (
        process,
        port,
    ):
        workers = _children(process.pid)
        cpu_before = _cpu_seconds(workers)
        start = storm(port, plan["quiz_id"], plan["examinees"], args.window)
        start["server_cpu_ms_per_start"] = round(
            (_cpu_seconds(workers) - cpu_before) * 1000 / max(start["started"], 1), 1
        )
        print(f"  start storm: {start}", flush=True)
        savers = [e for e in plan["examinees"] if "attempt" in e][: args.concurrency]
        autosave_load(port, savers, args.warmup)
        cpu_before, busy_before = _cpu_seconds(workers), _machine_busy_seconds()
        load = autosave_load(port, savers, args.seconds)
        # The whole machine's busy CPU beside the workers' and the client's: on PostgreSQL
        # "other programs" includes the database server, which shares the cores.
        row = Measurement(
            "learnapp POST autosave",
            load,
            _cpu_seconds(workers) - cpu_before,
            _machine_busy_seconds() - busy_before,
        ).row()
        print(
            f"  autosave: {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms,"
            f" {row['failed']} failed; client {row['client_cpu_cores']} cores, other programs"
            f" {row['other_cpu_cores']} cores",
            flush=True,
        )
        rows.append(row)
    cpu = inprocess_cpu(database_url, secret_key, plan["quiz_id"], reserved)
    print(f"  in-process CPU: {cpu}", flush=True)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "start_storm": start,
        "in_process_cpu": cpu,
        "load": rows,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quizzes", description=__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="an EMPTY database (default: temporary SQLite)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="learnapp-bench-quizzes-") as work:
        summary = run(args, Path(work))
    print("\n| target | req/s | p50 ms | p99 ms | server CPU ms/req | failed |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in summary["load"]:
        print(
            f"| {row['target']} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['server_cpu_ms_per_request']:.2f} | {row['failed']} |"
        )
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"quizzes-{summary['database']}-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
