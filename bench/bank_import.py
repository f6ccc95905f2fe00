"""Importing a 10,000-row Excel file into the question bank: preview and commit, time and memory.

    python -m bench.bank_import [--rows 10000] [--existing 0] [--database-url URL]

Writes an .xlsx in the import template with `--rows` questions of all five types (distinct
stems, every column filled), builds a throwaway SQLite database (or fills the EMPTY database
given, e.g. PostgreSQL) with bench.generate (migrations, units, bench-admin), optionally adds
`--existing` questions to the bank first (so duplicate and near-duplicate checks have something
to compare against), then runs each phase in a fresh Python process, through the real routes
with Flask's test client logged in as bench-admin, and reports the request's wall time and the
process's peak resident memory (`ru_maxrss`, which includes the interpreter and the app; and
VmHWM reset just before the request, the high-water mark while it ran):

- preview: `POST /bank/<id>/import` with the file — size and zip checks, openpyxl read-only
  parse, row checks, duplicate and near-duplicate search, the stash, the preview page;
- commit: `POST /bank/<id>/import/confirm` for the stashed file — the file checked again, every
  question stored in batches with progress reports, the audit entry, the one commit.

Each phase is compared in the same run with the issue's budget (under 15 s and 400 MB).
Figures go to bench/out/ (ignored by git) and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import contextlib
import io
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# The budgets (issue 4, Performance): each phase under 15 s and 400 MB peak memory.
BUDGET_SECONDS = 15
BUDGET_RSS_MB = 400
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
STASH_TOKEN = re.compile(r'name="token" value="([^"]+)"')
READY = re.compile(r'data-testid="confirm-import">\D*(\d+)')
TOPICS = ["党章", "条例", "党史", "组织生活", "纪律"]
AUDIENCES = ["全体人员", "党员", "书记和支委委员", "入党积极分子和发展对象"]
WORDS = (
    "党员干部学习教育管理组织生活纪律监督群众路线民主集中制理论武装先锋模范作用基层支部委员会"
    "选举表决权利义务发展对象积极分子预备期转正介绍人志愿书宣誓党费党籍关系接转流动考察培养"
    "历史决议会议召开建设改革开放新时代思想方针政策纲领章程条例规定制度原则要求任务责任标准"
)


def _stem(number: int, kind: str) -> str:
    # Distinct, Chinese, of realistic length, and different enough that few are "very similar".
    rng = random.Random(number)
    body = "".join(rng.choice(WORDS) for _ in range(rng.randint(14, 30)))
    return f"根据{TOPICS[number % 5]}，{body}的{kind}说法是（  ）。（{number}）"


def build_rows(rows: int) -> list[list]:
    out = []
    for n in range(rows):
        kind = n % 5
        meta = [
            1 + n % 5,
            f"{TOPICS[n % 5]}/第{n % 12 + 1}章",
            f"《文件{n % 40}》第{n % 60 + 1}条",
            "2022-10-22",
            f"解析{n}：依据原文。",
            f"标签{n % 30};基础",
        ]
        if kind == 0:
            out.append(
                [
                    "单选",
                    _stem(n, "正确"),
                    "选项一",
                    "选项二",
                    "选项三",
                    "选项四",
                    "",
                    "",
                    "ABCD"[n % 4],
                    "",
                    1,
                    *meta,
                ]
            )
        elif kind == 1:
            out.append(
                [
                    "多选",
                    _stem(n, "全部正确"),
                    "甲",
                    "乙",
                    "丙",
                    "丁",
                    "戊",
                    "",
                    "ACE",
                    "",
                    2,
                    *meta,
                ]
            )
        elif kind == 2:
            out.append(
                [
                    "判断",
                    _stem(n, "判断"),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "对" if n % 2 else "错",
                    "",
                    1,
                    *meta,
                ]
            )
        elif kind == 3:
            out.append(
                [
                    "填空",
                    f"（第{n}题）党员每年集中学习培训时间一般不少于____学时，由____组织。",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "32|三十二;;党组织",
                    "",
                    2,
                    *meta,
                ]
            )
        else:
            out.append(
                [
                    "简答",
                    _stem(n, "简述"),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "要点一;;要点二;;要点三",
                    f"参考答案{n}：要点一，要点二，要点三。",
                    5,
                    *meta,
                ]
            )
        # 少选得分比例, 各空答案不分顺序 and 学习对象.
        out[-1] += [50 if kind == 1 else "", "是" if kind == 3 else "", AUDIENCES[n % 4]]
    return out


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from learnapp.question_bank.formats.sheet import COLUMNS

    # A normal workbook, as Excel and WPS save it (with its <dimension>, which write-only
    # workbooks lack and without which openpyxl reads the sheet twice).
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(list(COLUMNS))
    for values in build_rows(rows):
        sheet.append(values)
    workbook.save(path)


def _app(database_url: str, data_dir: str):
    from learnapp import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": data_dir,
            "SECRET_KEY": "bench",
            "ENV_NAME": "testing",
            "RATELIMIT_ENABLED": False,
        }
    )


def _signed_in_client(app):
    """A test client logged in as bench-admin through the real login form."""
    from bench.generate import ADMIN_LOGIN, BENCH_PASSWORD

    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": ADMIN_LOGIN, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: HTTP {response.status_code}")
    return client


def _reset_peak_rss() -> None:
    """Linux: restart the process's resident-memory high-water mark (VmHWM) from now."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _peak_rss_since_reset() -> float:
    """The highest resident memory of the whole process since `_reset_peak_rss`, in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _csrf(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def phase(name: str, database_url: str, data_dir: str, file: Path, stash_token: str = "") -> dict:
    """Run one phase in this process through the real routes; returns its figures.

    preview: POST /bank/<id>/import with the file (what an editor's "Check the file" does).
    commit: POST /bank/<id>/import/confirm for the preview's stash token (duplicates looked for
    again, every question checked and stored in batches, one commit)."""
    import sqlalchemy as sa

    from learnapp.clock import now
    from learnapp.db import get_db
    from learnapp.question_bank import services
    from learnapp.question_bank.models import Question

    app = _app(database_url, data_dir)
    data = file.read_bytes()
    client = _signed_in_client(app)
    with app.app_context(), get_db().session_scope() as session:
        bank_id = services.default_bank(session, now()).id
    page = f"/bank/{bank_id}/import"
    token = _csrf(client, page)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _reset_peak_rss()
    cpu_before = _cpu_seconds()
    figures: dict = {"phase": name}
    if name == "preview":
        started = time.perf_counter()
        response = client.post(
            page,
            data={
                "csrf_token": token,
                "format": "auto",
                "knowledge_point": "",
                "file": (io.BytesIO(data), file.name),
            },
            content_type="multipart/form-data",
        )
        elapsed = time.perf_counter() - started
        html = response.get_data(as_text=True)
        if response.status_code != 200 or 'data-testid="import-ready"' not in html:
            raise SystemExit(f"preview failed: HTTP {response.status_code}")
        figures["ready_to_import"] = int(READY.search(html).group(1))
        figures["token"] = STASH_TOKEN.search(html).group(1)
    else:
        started = time.perf_counter()
        response = client.post(f"{page}/confirm", data={"csrf_token": token, "token": stash_token})
        elapsed = time.perf_counter() - started
        if response.status_code != 302 or "/import/result/" not in response.headers["Location"]:
            raise SystemExit(f"commit failed: HTTP {response.status_code}")
        with app.app_context(), get_db().session_scope() as session:
            figures["added"] = session.scalar(
                sa.select(sa.func.count()).select_from(Question).where(Question.bank_id == bank_id)
            )
    figures["seconds"] = round(elapsed, 2)
    # CPU time of this process: what the phase costs when it does not share the cores.
    figures["cpu_seconds"] = round(_cpu_seconds() - cpu_before, 2)
    figures["load_average"] = round(os.getloadavg()[0], 1)
    figures["baseline_rss_mb"] = round(baseline / 1024, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["request_peak_rss_mb"] = _peak_rss_since_reset()
    return figures


def _prepare(database_url: str, data_dir: str, existing: int) -> None:
    """Migrations and a bench-admin (bench.generate), the bank, and `existing` questions."""
    from bench.generate import main as generate_main
    from learnapp.clock import now
    from learnapp.db import get_db
    from learnapp.question_bank import importing, services
    from learnapp.question_bank.formats.sheet import COLUMNS
    from learnapp.tabular import csv_bytes

    with contextlib.redirect_stdout(io.StringIO()):
        generate_main(["--members", "10", "--database-url", database_url])
    app = _app(database_url, data_dir)
    with app.test_request_context(), get_db().session_scope() as session:
        bank = services.default_bank(session, now())
        if existing:
            rows = [[*r[:1], r[1].replace("（第", "（旧第"), *r[2:]] for r in build_rows(existing)]
            data = b"".join(csv_bytes(list(COLUMNS), rows))
            preview = importing.preview_import(session, bank, "existing.csv", data, "csv")
            importing.commit_import(session, None, bank, preview, now())


def _verdict(report: dict) -> list[str]:
    lines = []
    for figures in report["phases"]:
        seconds_ok = figures["seconds"] < BUDGET_SECONDS
        memory_ok = figures["peak_rss_mb"] < BUDGET_RSS_MB
        lines.append(
            f"{figures['phase']}: {figures['seconds']:.2f} s (budget {BUDGET_SECONDS} s: "
            f"{'within' if seconds_ok else 'OVER'}; CPU {figures['cpu_seconds']:.2f} s, load "
            f"average {figures['load_average']}), peak RSS {figures['peak_rss_mb']:.0f} MB "
            f"(during the request {figures['request_peak_rss_mb']:.0f} MB) "
            f"(budget {BUDGET_RSS_MB} MB: {'within' if memory_ok else 'OVER'})"
        )
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--phase", choices=["preview", "commit"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(
            json.dumps(phase(args.phase, args.database_url, args.data_dir, args.file, args.token))
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        file = Path(folder) / f"bank-{args.rows}.xlsx"
        started = time.perf_counter()
        write_xlsx(file, args.rows)
        written = time.perf_counter() - started
        _prepare(url, folder, args.existing)
        results = []
        for name in ("preview", "commit"):
            output = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bank_import",
                    "--phase",
                    name,
                    "--database-url",
                    url,
                    "--data-dir",
                    folder,
                    "--file",
                    str(file),
                    # One argument: a token may start with "-".
                    "--token=" + (results[0]["token"] if results else ""),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {platform.machine()} python {platform.python_version()}",
            "database": url.split(":", 1)[0],
            "rows": args.rows,
            "existing": args.existing,
            "file_mb": round(file.stat().st_size / 1048576, 2),
            "file_written_seconds": round(written, 2),
            "phases": results,
        }
    OUT.mkdir(exist_ok=True)
    (OUT / f"bank_import-{report['database']}-{args.rows}-{args.existing}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2)
    )
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print("\n".join(_verdict(report)))


if __name__ == "__main__":
    main()
