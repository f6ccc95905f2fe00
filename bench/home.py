"""The logged-in home page against a bare Flask app, both under the same gunicorn command.

    python -m bench.home [--members 2000] [--seconds 10] [--concurrency 16] [--database-url URL]

Builds a throwaway SQLite database with bench.generate (or fills the EMPTY database given), then
serves bench.hello_app and learnapp one after the other with `gunicorn -w 2 -b 127.0.0.1:PORT`
(never both at once: they would share the cores) and loads each with bench.load after a short
warm-up. Reported per target: requests per second, p50/p99 latency, server CPU per request (the
gunicorn workers' CPU time from /proc), the load generator's own CPU, and the CPU that other
programs used meanwhile: the client and any other work share the machine with the server, and
CPU per request is the figure least disturbed by them.

Figures go to bench/out/ (ignored by git) and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import ADMIN_LOGIN, BENCH_PASSWORD, SECRETARY_LOGIN
from bench.load import BenchError, LoadResult, fetch, login, run_load

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
READY_SECONDS = 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# What each account's home page must show, so a redirect to the login page is never measured.
ACCOUNTS = {SECRETARY_LOGIN: 'data-testid="manager-home"', ADMIN_LOGIN: 'data-testid="admin-home"'}


@dataclass
class Measurement:
    target: str
    load: LoadResult
    server_cpu_seconds: float
    machine_busy_seconds: float

    def row(self) -> dict:
        load = self.load
        return {
            "target": self.target,
            "requests": load.ok,
            "failed": load.failed,
            "seconds": round(load.seconds, 2),
            "rps": round(load.rps, 1),
            "p50_ms": round(load.percentile(0.50) * 1000, 2),
            "p99_ms": round(load.percentile(0.99) * 1000, 2),
            "server_cpu_ms_per_request": round(self.server_cpu_seconds * 1000 / max(load.ok, 1), 3),
            "client_cpu_cores": round(load.client_cpu_seconds / load.seconds, 2),
            # Busy CPU of the whole machine not spent by this server or this client: other
            # programs competing for the cores, which makes a run noisy.
            "other_cpu_cores": round(
                (self.machine_busy_seconds - self.server_cpu_seconds - load.client_cpu_seconds)
                / load.seconds,
                2,
            ),
            "connections_opened": load.connections,
            "errors": dict(load.errors),
            "statuses": {str(k): v for k, v in load.statuses.items()},
        }


def free_port() -> int:
    # Port 0 lets the kernel choose; the tiny window before gunicorn binds it is acceptable here.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # The command name may hold spaces or parentheses; the fields after it do not.
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def _machine_busy_seconds() -> float:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, log: Path, workers: int, ready_path: str):
    """Serve `app_spec` on a free 127.0.0.1 port; always stopped on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [*command, app_spec],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(process, port, ready_path, log)
        yield process, port
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen, port: int, path: str, log: Path) -> None:
    for _ in range(READY_SECONDS * 10):
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if fetch(port, path)[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer {path} within {READY_SECONDS} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Workers left behind by a killed master are in the session started for it, and only there.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def measure(
    target: str, process, port: int, path: str, args, cookies: dict | None = None
) -> Measurement:
    run_load(port, path, seconds=args.warmup, concurrency=args.concurrency, cookies=cookies)
    workers = _children(process.pid)
    cpu_before, busy_before = _cpu_seconds(workers), _machine_busy_seconds()
    load = run_load(port, path, seconds=args.seconds, concurrency=args.concurrency, cookies=cookies)
    measurement = Measurement(
        target,
        load,
        _cpu_seconds(workers) - cpu_before,
        _machine_busy_seconds() - busy_before,
    )
    row = measurement.row()
    print(
        f"  {target}: {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
        f"{row['failed']} failed, other programs used {row['other_cpu_cores']} cores",
        flush=True,
    )
    return measurement


def commit() -> str:
    """The checked-out commit, read from .git without running git (the tree may hold edits)."""
    git = ROOT / ".git"
    with contextlib.suppress(OSError):
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return line.split()[0]
    return "unknown"


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory.strip(),
        "python": platform.python_version(),
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.home", description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time per target")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--accounts",
        default=f"{SECRETARY_LOGIN},{ADMIN_LOGIN}",
        help="comma-separated logins whose home page is measured",
    )
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to generate into (default: a temporary SQLite file)",
    )
    args = parser.parse_args(argv)
    args.accounts = [name for name in args.accounts.split(",") if name]
    unknown = set(args.accounts) - set(ACCOUNTS)
    if unknown:
        parser.error(f"unknown accounts: {', '.join(sorted(unknown))}")
    if args.seconds <= 0 or args.concurrency < 1 or args.members < 1:
        parser.error("--seconds, --concurrency and --members must be positive")
    return args


def _log_problems(work: Path) -> list[str]:
    """Error lines of the gunicorn logs, which go away with the temporary folder."""
    problems = []
    for log in sorted(work.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if "[ERROR]" in line or "[CRITICAL]" in line or line.startswith("Traceback"):
                problems.append(f"{log.name}: {line}")
    return problems[:50]


def run(args, work: Path) -> dict:
    database_url = args.database_url or f"sqlite:///{work / 'learnapp.db'}"
    env = {
        **os.environ,
        "LEARNAPP_ENV": "production",
        "LEARNAPP_SECRET_KEY": secrets.token_urlsafe(32),
        "LEARNAPP_DATA_DIR": str(work),
        "LEARNAPP_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    print(f"generating {args.members} members ...", flush=True)
    generated = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--members", str(args.members)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(generated.stdout.strip())
    if generated.returncode:
        raise BenchError(f"bench.generate failed:\n{generated.stderr}")

    measurements = []
    print(f"bare Flask, {args.workers} gunicorn workers, concurrency {args.concurrency}:")
    hello = gunicorn("bench.hello_app:app", env, work / "hello.log", args.workers, "/")
    with hello as (process, port):
        measurements.append(measure("bare Flask /", process, port, "/", args))

    print("learnapp:")
    learnapp = gunicorn(
        "learnapp:create_app()", env, work / "learnapp.log", args.workers, "/healthz"
    )
    with learnapp as (process, port):
        for account in args.accounts:
            cookies = login(port, account, BENCH_PASSWORD)
            status, page = fetch(port, "/", cookies)
            if status != 200 or ACCOUNTS[account] not in page:
                raise BenchError(f"{account}'s home page is not what the benchmark expects")
            target = f"learnapp / as {account}"
            measurements.append(measure(target, process, port, "/", args, cookies))
    return {
        "server_log_problems": _log_problems(work),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "members": args.members,
        "database": "sqlite (temporary file)" if not args.database_url else "given URL",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "machine": machine(),
        "results": [m.row() for m in measurements],
    }


def report(summary: dict) -> None:
    rows = summary["results"]
    baseline = rows[0]["rps"]
    print()
    print(
        "| target | req/s | p50 ms | p99 ms | server CPU ms/req | client CPU | other CPU "
        "| failed | x bare |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratio = row["rps"] / baseline if baseline else float("nan")
        print(
            f"| {row['target']} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['server_cpu_ms_per_request']:.2f} | {row['client_cpu_cores']:.2f} "
            f"| {row['other_cpu_cores']:.2f} | {row['failed']} | {ratio:.3f} |"
        )


def _exit_on_sigterm(signum, _frame):
    # SystemExit unwinds through the `finally` blocks that stop the gunicorn servers.
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="learnapp-bench-") as work:
        try:
            summary = run(args, Path(work))
        except BenchError as error:
            # The server logs explain most failures and vanish with the temporary folder.
            for log in sorted(Path(work).glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-40:]
                print(f"--- last lines of {log.name}", *tail, sep="\n", file=sys.stderr)
            print(f"bench.home: {error}", file=sys.stderr)
            return 1
    report(summary)
    for line in summary["server_log_problems"]:
        print(f"server log: {line}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"home-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
