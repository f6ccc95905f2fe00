"""Completion: the 党委-level dashboard and the full 学时统计 export at 100,000 members.

    python -m bench.completion prepare --database-url URL [--members 100000] [--entries 5000000]
    python -m bench.completion dashboard --database-url URL [--repeat 5]
    python -m bench.completion export --database-url URL

`prepare` builds the organisation with bench.generate (100,000 members in 2,000 branches) and
writes `--entries` ledger entries of this year straight into the database (COPY on PostgreSQL,
batched executemany on SQLite), then builds the rollup with the same function as the scheduled
job (completion.rollup.rebuild). `dashboard` times GET /completion/units/<root> as bench-admin
in-process with Flask's test client (server time, no network), with the rollup and, as the
baseline the rollup replaces, with the whole ledger summed per request (watermark 0). `export`
streams the workbook and the CSV of every member and reports time and peak memory (ru_maxrss of
its own process: the app, the login and both exports). Targets (issue 6): dashboard
under 300 ms on PostgreSQL and 1 s on SQLite; the export under 30 s with bounded memory.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.generate import ADMIN_LOGIN, BENCH_PASSWORD

BATCH = 20_000
TARGETS = {"postgresql": 0.300, "sqlite": 1.0}
EXPORT_TARGET = 30.0


def _app(url: str):
    from learnapp import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _ledger_rows(member_ids, entries: int, rule_set_id: int, now: datetime, rng):
    """`entries` credits of this year spread over the members (about 50 each)."""
    from learnapp.hours.models import HoursCategory

    categories = [c.value for c in HoursCategory]
    weights = [10, 25, 50, 10, 5]
    today = now.date()
    days = (today - date(today.year, 1, 1)).days + 1
    for number in range(entries):
        member_id = member_ids[number % len(member_ids)]
        hours = rng.choice(("0.25", "0.5", "1.00", "1.50", "2.00"))
        yield (
            member_id,
            rng.choices(categories, weights)[0],
            "lesson",
            str(number + 1),
            0,
            hours,
            hours,
            rule_set_id,
            date(today.year, 1, 1) + timedelta(days=number % days),
            today.year,
            "credited",
            now,
            "",
        )


COLUMNS = (
    "member_id, category, source_type, source_id, verified_seconds, hours, nominal_hours, "
    "rule_set_id, credited_on, year, status, created_at, note"
)


def prepare(args) -> None:
    import sqlalchemy as sa

    from bench import generate
    from learnapp.accounts.models import User
    from learnapp.completion.rollup import rebuild
    from learnapp.hours.services import ensure_default_rule_set

    started = time.perf_counter()
    generate.main(["--members", str(args.members), "--database-url", args.database_url])
    app = _app(args.database_url)
    database = app.extensions["learnapp.db"]
    now = datetime.now(UTC)
    rng = random.Random(20261125)
    with app.app_context(), database.session_scope() as session:
        rule_set_id = ensure_default_rule_set(session, now).id
        member_ids = list(session.scalars(sa.select(User.id).order_by(User.id)))
    rows = _ledger_rows(member_ids, args.entries, rule_set_id, now, rng)
    written = time.perf_counter()
    if database.engine.dialect.name == "postgresql":
        raw = database.engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY hours_ledger ({COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute("ANALYZE hours_ledger")
            raw.commit()
        finally:
            raw.close()
    else:
        marks = ", ".join("?" * 13)
        with database.engine.begin() as connection:
            driver = connection.connection.driver_connection
            batch = []
            for row in rows:
                batch.append(
                    (
                        *row[:7],
                        row[7],
                        row[8].isoformat(),
                        row[9],
                        row[10],
                        row[11].replace(tzinfo=None).isoformat(sep=" "),
                        row[12],
                    )
                )
                if len(batch) >= BATCH:
                    driver.executemany(
                        f"INSERT INTO hours_ledger ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                        batch,
                    )
                    batch = []
            if batch:
                driver.executemany(
                    f"INSERT INTO hours_ledger ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                    batch,
                )
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    ledger_seconds = time.perf_counter() - written
    rolled = time.perf_counter()
    with app.app_context(), database.session_scope() as session:
        summary = rebuild(session, now + timedelta(hours=1))
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE completion_member_hours")
    finished = time.perf_counter()
    print(f"ledger: {args.entries:,} entries in {ledger_seconds:.1f} s")
    print(f"rollup: {summary} in {finished - rolled:.1f} s")
    print(f"prepare total: {finished - started:.1f} s")


def _client(app):
    client = app.test_client()
    response = client.post("/login", data={"username": ADMIN_LOGIN, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def _root_id(app) -> int:
    import sqlalchemy as sa

    from learnapp.orgs.models import Unit

    with app.app_context():
        session = app.extensions["learnapp.db"].sessionmaker()
        try:
            return session.scalar(sa.select(Unit.id).where(Unit.parent_id.is_(None)))
        finally:
            session.close()


CPU: list[float] = []  # process CPU seconds of the timed requests, in order
DB_CPU: list[float] = []  # CPU seconds of the PostgreSQL backends meanwhile (same machine only)
TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(app) -> float | None:
    """CPU seconds used so far by the PostgreSQL server processes serving this database, read
    from /proc (the server runs on this machine); None on SQLite or a remote server. On a
    loaded machine this, plus this process's CPU, is the server time a request really cost."""
    import sqlalchemy as sa

    engine = app.extensions["learnapp.db"].engine
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        pids = connection.scalars(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime (ticks)
    return total / TICKS


def _time_get(client, path: str, repeat: int, app=None) -> list[float]:
    """Wall seconds of each request; its CPU seconds (this process: the whole server side on
    SQLite, everything but the database server on PostgreSQL) are appended to CPU, and the
    database server's (PostgreSQL on this machine) to DB_CPU."""
    times = []
    for _ in range(repeat):
        database = _backend_cpu(app) if app is not None else None
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        response.get_data()
        times.append(time.perf_counter() - started)
        CPU.append(time.process_time() - cpu)
        if database is not None:
            after = _backend_cpu(app)
            if after is not None:
                DB_CPU.append(after - database)
        assert response.status_code == 200, response.status_code
    return times


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _rollup_rows(app) -> int:
    import sqlalchemy as sa

    from learnapp.completion.models import MemberYearHours

    with app.app_context():
        session = app.extensions["learnapp.db"].sessionmaker()
        try:
            return session.scalar(sa.select(sa.func.count()).select_from(MemberYearHours))
        finally:
            session.close()


def dashboard(args) -> None:
    import learnapp.completion.queries as queries

    app = _app(args.database_url)
    dialect = app.extensions["learnapp.db"].engine.dialect.name
    client = _client(app)
    path = f"/completion/units/{_root_id(app)}"
    _time_get(client, path, 1)  # warm caches and templates
    CPU.clear()
    with_rollup = _time_get(client, path, args.repeat, app)
    cpu = statistics.median(CPU)
    database_cpu = statistics.median(DB_CPU) if DB_CPU else None
    # The baseline the rollup replaces: every request sums the whole year's ledger.
    original = queries.watermark
    queries.watermark = lambda session: 0
    try:
        rollup_ignored = _time_get(client, path, max(1, args.repeat // 2))
    finally:
        queries.watermark = original
    target = TARGETS[dialect]
    median = statistics.median(with_rollup)
    print(f"database: {dialect}; rollup rows: {_rollup_rows(app):,}; {_load()}")
    print(
        f"dashboard with rollup: median {median * 1000:.0f} ms, min {min(with_rollup) * 1000:.0f}"
        f" ms, max {max(with_rollup) * 1000:.0f} ms over {args.repeat} (median CPU of this "
        f"process {cpu * 1000:.0f} ms); target "
        f"{target * 1000:.0f} ms: {'met' if median < target else 'NOT met'}"
    )
    if database_cpu is not None:
        print(
            f"server CPU per request: {cpu * 1000:.0f} ms app + {database_cpu * 1000:.0f} ms "
            f"PostgreSQL = {(cpu + database_cpu) * 1000:.0f} ms (median; "
            f"{'within' if cpu + database_cpu < target else 'over'} the target)"
        )
    print(
        "baseline, rollup ignored (whole ledger summed per request): median "
        f"{statistics.median(rollup_ignored) * 1000:.0f} ms over {len(rollup_ignored)}"
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(args) -> None:
    app = _app(args.database_url)
    client = _client(app)
    root = _root_id(app)
    year = datetime.now(UTC).year
    before = _rss_mb()
    results = {}
    for fmt in ("xlsx", "csv"):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(f"/completion/units/{root}/export.{fmt}", data={"year": year})
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        results[fmt] = (time.perf_counter() - started, time.process_time() - cpu, size)
    dialect = app.extensions["learnapp.db"].engine.dialect.name
    for fmt, (seconds, cpu, size) in results.items():
        print(
            f"export {fmt} ({dialect}): {seconds:.1f} s wall, {cpu:.1f} s CPU of this process, "
            f"{size / 1e6:.1f} MB; target {EXPORT_TARGET:.0f} s: "
            f"{'met' if seconds < EXPORT_TARGET else 'NOT met'}"
        )
    print(f"max RSS: {before:.0f} MB before the exports, {_rss_mb():.0f} MB after both; {_load()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.completion", description=__doc__)
    parser.add_argument("step", choices=("prepare", "dashboard", "export"))
    parser.add_argument("--database-url", default=os.environ.get("LEARNAPP_DATABASE_URL"))
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set LEARNAPP_DATABASE_URL")
    {"prepare": prepare, "dashboard": dashboard, "export": export}[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
