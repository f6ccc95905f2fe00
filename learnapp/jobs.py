"""The registry of scheduled jobs and the one scheduler process.

Jobs are declared here once, with stable ids; their code lives beside its domain as
`func(session, now) -> str | None` (a one-line summary). Every job is an idempotent sweep over
database state, so a skipped or repeated run is harmless. `flask --app learnapp jobs run` is the
only process that schedules them (never a web worker); on PostgreSQL each run also takes an
advisory lock, so a second scheduler started by mistake does not run a job twice.
"""

import enum
import hashlib
import importlib
import logging
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.clock import now as clock_now
from learnapp.db import Base, enum_type, get_db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    id: str
    target: str  # "package.module:function"
    trigger: dict = field(default_factory=dict)  # APScheduler trigger arguments
    description: str = ""

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "accounts.purge_expired",
        "learnapp.accounts.jobs:purge_expired",
        {"trigger": "interval", "hours": 1},
        "Delete expired login sessions and stale failed-login counters.",
    ),
    JobSpec(
        "uploads.purge_stale",
        "learnapp.uploads:purge_stale",
        {"trigger": "interval", "hours": 6},
        "Delete uploaded files left waiting for confirmation for more than a day.",
    ),
    JobSpec(
        "study.close_silent_sessions",
        "learnapp.study.jobs:close_silent_sessions",
        {"trigger": "interval", "minutes": 5},
        "Close study sessions that sent no heartbeat for ten minutes.",
    ),
    JobSpec(
        "completion.weekly_reminders",
        "learnapp.completion.reminders:weekly_reminders",
        # Monday 09:00 in Shanghai (the scheduler runs in UTC).
        {"trigger": "cron", "day_of_week": "mon", "hour": 1, "minute": 0},
        "Remind members behind their study-hour pace; send each secretary a digest.",
    ),
    JobSpec(
        "completion.refresh_rollup",
        "learnapp.completion.rollup:refresh",
        {"trigger": "interval", "minutes": 5},
        "Fold new study-hour ledger entries into the completion dashboard's rollup.",
    ),
    JobSpec(
        "quizzes.finish_overdue",
        "learnapp.quizzes.jobs:finish_overdue",
        {"trigger": "interval", "minutes": 1},
        "Finish exam attempts past their deadline with the answers they saved.",
    ),
    JobSpec(
        "assessments.run_schedule",
        "learnapp.assessments.jobs:run_schedule",
        {"trigger": "interval", "minutes": 10},
        "Open and close the steps of assessment periods on schedule; remind who has not acted.",
    ),
)


def get_job(job_id: str) -> JobSpec:
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(job_id)


class JobOutcome(enum.StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    SKIPPED = "skipped"  # another scheduler held the lock


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[JobOutcome] = mapped_column(enum_type(JobOutcome))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")


def _lock_key(job_id: str) -> int:
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:8], "big", signed=True)


def run_job(job_id: str) -> JobRun:
    """Run one job now in its own transaction and record the run. Needs an app context."""
    spec = get_job(job_id)
    db = get_db()
    with db.session_scope() as session:
        run = JobRun(job_id=job_id, started_at=clock_now(), outcome=JobOutcome.RUNNING)
        session.add(run)
    lock_connection = None
    try:
        if db.engine.dialect.name == "postgresql":
            lock_connection = db.engine.connect()
            got = lock_connection.scalar(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(job_id)}
            )
            lock_connection.commit()
            if not got:
                run.outcome, run.summary = JobOutcome.SKIPPED, "another scheduler holds the lock"
                return _finish(db, run)
        try:
            with db.session_scope() as session:
                run.summary = spec.load()(session, clock_now()) or ""
            run.outcome = JobOutcome.SUCCESS
        except Exception:
            log.exception("job %s failed", job_id)
            run.outcome, run.error = JobOutcome.ERROR, traceback.format_exc(limit=20)
        return _finish(db, run)
    finally:
        if lock_connection is not None:
            lock_connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(job_id)}
            )
            lock_connection.close()


def _finish(db, run: JobRun) -> JobRun:
    with db.session_scope() as session:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run.id)
            .values(
                finished_at=clock_now(), outcome=run.outcome, summary=run.summary, error=run.error
            )
        )
    return run


def recent_runs(session, limit: int = 100) -> list[JobRun]:
    return list(session.scalars(sa.select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))


jobs_cli = AppGroup("jobs", help="Scheduled jobs.")


@jobs_cli.command("list")
def list_jobs():
    """Show the registered jobs and their schedules."""
    for spec in JOBS:
        schedule = ", ".join(f"{k}={v}" for k, v in spec.trigger.items())
        click.echo(f"{spec.id}\t{schedule}\t{spec.description}")


@jobs_cli.command("once")
@click.argument("job_id")
def run_once(job_id):
    """Run one job now."""
    try:
        get_job(job_id)
    except KeyError:
        raise click.ClickException(f"unknown job {job_id!r}; see `jobs list`") from None
    run = run_job(job_id)
    click.echo(f"{job_id}: {run.outcome.value} {run.summary}".rstrip())
    if run.outcome == JobOutcome.ERROR:
        click.echo(run.error, err=True)
        raise SystemExit(1)


@jobs_cli.command("run")
def run_scheduler():
    """Run the scheduler in the foreground: the only process that runs jobs."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = current_app._get_current_object()

    def execute(job_id):
        with app.app_context():
            run_job(job_id)

    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for spec in JOBS:
        scheduler.add_job(
            execute, args=[spec.id], id=spec.id, replace_existing=True, **spec.trigger
        )
    click.echo(f"scheduler: {len(JOBS)} jobs registered; Ctrl-C stops it")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
