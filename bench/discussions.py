"""Discussions: a thread with 5,000 replies (page 1 and page 100), and the word engine.

    python -m bench.discussions [--replies 5000] [--runs 30] [--terms 20000] [--database-url URL]

1. Builds a throwaway SQLite database with bench.generate (2,000 members and one thread of
   `--replies` replies in the first branch's board), or uses `--database-url` (an empty
   database, e.g. PostgreSQL), and times GET /threads/<id> for page 1 and page 100 in-process
   with Flask's test client (server time without network: the queries, the template and the
   read-marker write), once as bench-secretary (a moderator of the board) and once as a plain
   member of the branch.
2. Builds the Aho–Corasick matcher over `--terms` random terms (2–4 common characters, with an
   allowlist) and checks a 5,000-character post against it: normalisation plus matching.

Baselines in the same run: the issue's budgets (50 ms of server time per thread page, 5 ms per
engine check) are printed beside each figure, with a bare Flask app answering "hello" through the
same test client (bench/hello_app.py: the framework's floor) and a naive engine that looks for
every term with `in` on the normalised text (what Aho–Corasick replaces).

Figures go to bench/out/ and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import BENCH_PASSWORD, SECRETARY_LOGIN
from bench.home import machine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
WARM_UP = 5
PAGE_BUDGET_MS = 50
ENGINE_BUDGET_MS = 5
MEMBER_LOGIN = "bench-member"
# Common characters: the terms and the post share an alphabet, so matching really works.
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使"
    "点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
    "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料"
)


def summary(label: str, timings: list[float], cpu: list[float]) -> dict:
    """Wall-clock figures, and the CPU time this process spent (the server's own work, which
    other loads on the shared cores do not inflate; on PostgreSQL the database server's CPU is
    not in it)."""
    ordered = sorted(timings)
    cpu_ordered = sorted(cpu)
    return {
        "case": label,
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(max(timings) * 1000, 2),
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
        "cpu_p95_ms": round(cpu_ordered[int(0.95 * (len(cpu_ordered) - 1))] * 1000, 2),
    }


def timed(function, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `runs` calls after WARM_UP unmeasured ones."""
    wall, cpu = [], []
    for attempt in range(WARM_UP + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if attempt >= WARM_UP:
            wall.append(elapsed)
            cpu.append(elapsed_cpu)
    return wall, cpu


def budgeted(row: dict, budget_ms: float) -> dict:
    return row | {
        "budget_ms": budget_ms,
        "wall_p95_within_budget": row["p95_ms"] < budget_ms,
        "cpu_p95_within_budget": row["cpu_p95_ms"] < budget_ms,
    }


def hello_times(runs: int) -> list[dict]:
    """The floor: a bare Flask app through the same in-process test client."""
    from bench.hello_app import app

    client = app.test_client()

    def hello():
        if client.get("/").status_code != 200:
            raise SystemExit("hello failed")

    return [summary("baseline: bare Flask hello, same test client", *timed(hello, runs))]


def _login(client, username: str) -> None:
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed: {response.status_code}")


def thread_times(database_url: str, runs: int) -> list[dict]:
    import sqlalchemy as sa

    from learnapp import create_app
    from learnapp.accounts.models import User
    from learnapp.discussions.models import Board, Thread

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    with app.extensions["learnapp.db"].session_scope() as session:
        thread = session.scalar(sa.select(Thread).order_by(Thread.id.desc()))
        board = session.get(Board, thread.board_id)
        secretary = session.scalar(sa.select(User).where(User.username == SECRETARY_LOGIN))
        # A plain member of the same branch who can log in.
        member = session.scalar(
            sa.select(User)
            .where(User.unit_id == board.unit_id, User.id != secretary.id, ~User.roles.any())
            .order_by(User.id)
        )
        member.username = MEMBER_LOGIN
        member.password_hash = secretary.password_hash
        thread_id = thread.id
    rows = []
    for username in (SECRETARY_LOGIN, MEMBER_LOGIN):
        client = app.test_client()
        _login(client, username)
        for page in (1, 100):

            def get(page=page, client=client):
                response = client.get(f"/threads/{thread_id}", query_string={"page": page})
                body = response.get_data(as_text=True)
                if response.status_code != 200 or f"第{(page - 1) * 20}楼" not in body:
                    raise SystemExit(f"page {page} answered {response.status_code}")

            label = f"thread page {page} as {username}"
            rows.append(budgeted(summary(label, *timed(get, runs)), PAGE_BUDGET_MS))
    app.extensions["learnapp.db"].engine.dispose()
    return rows


def engine_times(terms: int, runs: int) -> list[dict]:
    from learnapp.discussions.models import WordAction
    from learnapp.discussions.moderation.engine import Matcher
    from learnapp.discussions.moderation.normalize import normalise, normalise_term

    rng = random.Random(20261125)
    words: set[str] = set()
    while len(words) < terms:
        words.add("".join(rng.choice(COMMON) for _ in range(rng.randint(2, 4))))
    actions = [WordAction.BLOCK, WordAction.REVIEW, WordAction.PASS]
    entries = [(word, "bench", actions[i % 3]) for i, word in enumerate(sorted(words))]
    allowed = ["党史", "党章", "天安门", "五星红旗", "中国共产党章程"]
    started = time.perf_counter()
    matcher = Matcher(entries, allowed)
    build = time.perf_counter() - started
    filler = COMMON + "，。、！？ abcABC１２３賭博網站"
    post = "".join(rng.choice(filler) for _ in range(5000))
    hits = len(matcher.check(post).hits)
    wall, cpu = timed(lambda: matcher.check(post), runs)
    row = summary(f"word engine: 5,000-character post, {terms:,} terms", wall, cpu)
    row = budgeted(row, ENGINE_BUDGET_MS)
    row |= {"build_ms": round(build * 1000, 1), "trie_nodes": matcher.automaton.size}
    row["hits_per_check"] = hits
    # Baseline: every term looked for on its own in the same normalised text.
    folded_terms = [normalise_term(word) for word, _category, _action in entries]

    def naive():
        folded = normalise(post)[0]
        return sum(1 for term in folded_terms if term in folded)

    found = naive()
    wall, cpu = timed(naive, max(runs // 10, 10))
    baseline = summary(f"baseline: naive `in` per term, {terms:,} terms", wall, cpu)
    baseline["terms_found"] = found
    return [row, baseline]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.discussions", description=__doc__)
    parser.add_argument("--replies", type=int, default=5000)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--terms", type=int, default=20_000)
    parser.add_argument("--engine-runs", type=int, default=200)
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-discussions-") as work:
        database_url = args.database_url or f"sqlite:///{Path(work) / 'learnapp.db'}"
        env = {
            **os.environ,
            "LEARNAPP_SECRET_KEY": secrets.token_urlsafe(32),
            "LEARNAPP_DATA_DIR": work,
            "LEARNAPP_DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
        generated = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate",
                "--members",
                str(args.members),
                "--thread-replies",
                str(args.replies),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if generated.returncode:
            print(generated.stderr, file=sys.stderr)
            return 1
        os.environ["LEARNAPP_DATA_DIR"] = work
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            # Other work on the two shared cores inflates wall-clock figures: recorded with them.
            "load_average_before": os.getloadavg(),
            "database": database_url.split(":", 1)[0],
            "replies": args.replies,
            "rows": hello_times(args.runs)
            + thread_times(database_url, args.runs)
            + engine_times(args.terms, args.engine_runs),
        }
    OUT.mkdir(exist_ok=True)
    path = OUT / f"discussions-{result['date'].replace(':', '')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    for row in result["rows"]:
        print(json.dumps(row, ensure_ascii=False))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
