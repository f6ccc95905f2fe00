"""Importing a 10,000-row Excel file into the question bank: preview and commit, time and memory.

    python -m bench.bank_import [--rows 10000] [--existing 0] [--database-url URL]

Writes an .xlsx in the import template with `--rows` questions of all five types (distinct
stems, every column filled), applies the migrations to a throwaway SQLite database (or to the
EMPTY database given, e.g. PostgreSQL), optionally adds `--existing` questions to the bank
first (so duplicate and near-duplicate checks have something to compare against), then runs
each phase in a fresh Python process and reports its wall time and peak resident memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes the interpreter and the app):

- preview: `importing.preview_import` (zip checks, openpyxl read-only parse, row checks,
  duplicate and near-duplicate search) — what the upload request does;
- commit: what the confirm request does — the preview again (the stashed file is re-checked),
  then `importing.commit_import` in batches, then the one commit.

Figures go to bench/out/ (ignored by git) and are summarised by hand in bench/RESULTS.md.
"""

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TOPICS = ["党章", "条例", "党史", "组织生活", "纪律"]
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
                    1,
                    *meta,
                ]
            )
        elif kind == 1:
            out.append(
                ["多选", _stem(n, "全部正确"), "甲", "乙", "丙", "丁", "戊", "", "ACE", 2, *meta]
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
                    5,
                    *meta,
                ]
            )
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
            "IMPORT_MAX_BYTES": 50 * 1024 * 1024,
        }
    )


def phase(name: str, database_url: str, data_dir: str, file: Path) -> dict:
    """Run one phase in this process; returns its figures."""
    from learnapp.clock import now
    from learnapp.db import get_db
    from learnapp.question_bank import importing, services

    app = _app(database_url, data_dir)
    data = file.read_bytes()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with app.test_request_context():
        session = get_db().sessionmaker()
        try:
            bank = services.default_bank(session, now())
            started = time.perf_counter()
            # The confirm request re-checks the file but skips the (warning-only) similar-stem search.
            preview = importing.preview_import(
                session, bank, file.name, data, "xlsx", near_duplicates=name == "preview"
            )
            previewed = time.perf_counter()
            figures = {
                "phase": name,
                "preview_seconds": round(previewed - started, 2),
                "questions": len(preview.items),
                "new": len(preview.new_items),
                "errors": len(preview.errors),
                "warnings": len(preview.warnings),
            }
            if name == "commit":
                outcome = importing.commit_import(session, None, bank, preview, now())
                session.commit()
                done = time.perf_counter()
                figures.update(
                    added=outcome.added,
                    commit_only_seconds=round(done - previewed, 2),
                    total_seconds=round(done - started, 2),
                )
            else:
                session.rollback()
        finally:
            session.close()
    figures["baseline_rss_mb"] = round(baseline / 1024, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def _prepare(database_url: str, data_dir: str, existing: int) -> None:
    from learnapp.cli import upgrade_database
    from learnapp.clock import now
    from learnapp.db import get_db
    from learnapp.question_bank import importing, services
    from learnapp.question_bank.formats.sheet import COLUMNS
    from learnapp.tabular import csv_bytes

    app = _app(database_url, data_dir)
    with app.test_request_context():
        upgrade_database(get_db().engine)
        with get_db().session_scope() as session:
            bank = services.default_bank(session, now())
            if existing:
                rows = [
                    [*r[:1], r[1].replace("（第", "（旧第"), *r[2:]] for r in build_rows(existing)
                ]
                data = b"".join(csv_bytes(list(COLUMNS), rows))
                preview = importing.preview_import(session, bank, "existing.csv", data, "csv")
                importing.commit_import(session, None, bank, preview, now())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--phase", choices=["preview", "commit"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(phase(args.phase, args.database_url, args.data_dir, args.file)))
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


if __name__ == "__main__":
    main()
