"""The registry of scheduled jobs and the one scheduler process.

Jobs are declared here once, with stable ids; their code lives beside its domain as
`func(session, now) -> Summary | None`: what the run did, as a key of the job's `summaries` and
the numbers that fill it in, stored so and rendered when read, in the reader's language (runs
recorded before summaries had keys show the English text stored with them). Every job is an idempotent sweep over
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
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    label: str = ""  # a short translated name for the admin pages; the id when empty
    # What a run may report: key -> a translated line with %(name)d placeholders (Summary).
    summaries: dict = field(default_factory=dict)

    @property
    def schedule(self) -> str:
        return describe_trigger(self.trigger)

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Summary:
    """What a run did: a key of its job's `summaries` and the values that fill it in."""

    key: str
    params: dict = field(default_factory=dict)


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "accounts.purge_expired",
        "learnapp.accounts.jobs:purge_expired",
        {"trigger": "interval", "hours": 1},
        _l("Delete expired login sessions and stale failed-login counters."),
        _l("Purge expired logins"),
        {
            "purged": _l(
                "Expired login sessions removed: %(sessions)d; stale login counters removed: "
                "%(counters)d."
            )
        },
    ),
    JobSpec(
        "uploads.purge_stale",
        "learnapp.uploads:purge_stale",
        {"trigger": "interval", "hours": 6},
        _l("Delete uploaded files left waiting for confirmation for more than a day."),
        _l("Purge unconfirmed uploads"),
        {"purged": _l("Stale uploaded files removed: %(files)d.")},
    ),
    JobSpec(
        "study.close_silent_sessions",
        "learnapp.study.jobs:close_silent_sessions",
        {"trigger": "interval", "minutes": 5},
        _l("Close study sessions that sent no heartbeat for ten minutes."),
        _l("Close silent study sessions"),
        {"closed": _l("Silent study sessions closed: %(sessions)d.")},
    ),
    JobSpec(
        "completion.weekly_reminders",
        "learnapp.completion.reminders:weekly_reminders",
        # Monday 09:00 in Shanghai (the scheduler runs in UTC).
        {"trigger": "cron", "day_of_week": "mon", "hour": 1, "minute": 0},
        _l("Remind members behind their study-hour pace; send each secretary a digest."),
        _l("Weekly study-hour reminders"),
        {
            "sent": _l(
                "Pace reminders: %(reminders)d; secretaries' digests: %(digests)d; "
                "e-mails sent: %(emails)d."
            )
        },
    ),
    JobSpec(
        "completion.refresh_rollup",
        "learnapp.completion.rollup:refresh",
        {"trigger": "interval", "minutes": 5},
        _l("Fold new study-hour ledger entries into the completion dashboard's rollup."),
        _l("Refresh the completion dashboard"),
        {
            "up_to_date": _l("Up to date at ledger entry %(entry)d."),
            "rolled_up": _l(
                "Rolled up to ledger entry %(entry)d: %(entries)d new entries, "
                "%(member_years)d member-years updated."
            ),
        },
    ),
    JobSpec(
        "quizzes.finish_overdue",
        "learnapp.quizzes.jobs:finish_overdue",
        {"trigger": "interval", "minutes": 1},
        _l("Finish exam attempts past their deadline with the answers they saved."),
        _l("Finish overdue exam attempts"),
        {"finished": _l("Overdue exam attempts finished: %(attempts)d.")},
    ),
    JobSpec(
        "assessments.run_schedule",
        "learnapp.assessments.jobs:run_schedule",
        {"trigger": "interval", "minutes": 10},
        _l("Open and close the steps of assessment periods on schedule; remind who has not acted."),
        _l("Run assessment schedules"),
        {"ran": _l("Assessment steps opened: %(steps)d; reminders sent: %(reminders)d.")},
    ),
)


def get_job(job_id: str) -> JobSpec:
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(job_id)


def job_label(job_id: str) -> str:
    """A job's translated name; a run of a job no longer registered keeps its id."""
    try:
        spec = get_job(job_id)
    except KeyError:
        return job_id
    return str(spec.label) if spec.label else job_id


# A fixed Monday: cron weekdays and hours are given in UTC and shown in the organisation's zone.
_REFERENCE_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def describe_trigger(trigger: dict) -> str:
    """An APScheduler trigger in words, in the user's language and the organisation's zone.
    Shapes not described here fall back to their arguments, so nothing is hidden."""
    kind = trigger.get("trigger")
    args = {key: value for key, value in trigger.items() if key != "trigger"}
    if kind == "interval" and len(args) == 1:
        ((unit, count),) = args.items()
        # A count of one has its own words; Chinese has a single plural form for the rest.
        if unit == "minutes":
            if count == 1:
                return _("Every minute")
            return ngettext("Every %(num)d minute", "Every %(num)d minutes", count)
        if unit == "hours":
            if count == 1:
                return _("Every hour")
            return ngettext("Every %(num)d hour", "Every %(num)d hours", count)
        if unit == "days":
            if count == 1:
                return _("Every day")
            return ngettext("Every %(num)d day", "Every %(num)d days", count)
    if kind == "cron" and set(args) <= {"day_of_week", "hour", "minute"} and "hour" in args:
        day = args.get("day_of_week")
        if day is None or day in _WEEKDAYS:
            offset = _WEEKDAYS.index(day) if day else 0
            moment = _REFERENCE_MONDAY.replace(
                day=1 + offset, hour=int(args["hour"]), minute=int(args.get("minute", 0))
            )
            if day is None:
                return _("Every day at %(time)s", time=format_datetime(moment, "HH:mm"))
            # The local weekday can differ from the UTC one: format both from the same moment.
            return _(
                "Every %(weekday)s at %(time)s",
                weekday=format_datetime(moment, "EEEE"),
                time=format_datetime(moment, "HH:mm"),
            )
    return " ".join(f"{key}={value}" for key, value in trigger.items())


class JobOutcome(enum.StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    SKIPPED = "skipped"  # another scheduler held the lock

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    JobOutcome.RUNNING: _l("Running"),
    JobOutcome.SUCCESS: _l("Succeeded"),
    JobOutcome.ERROR: _l("Failed"),
    JobOutcome.SKIPPED: _l("Skipped"),
}


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[JobOutcome] = mapped_column(enum_type(JobOutcome))
    # The text of runs recorded before summaries had keys; new runs store a key and values.
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    summary_key: Mapped[str | None] = mapped_column(sa.String(48))
    summary_params: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def label(self) -> str:
        return job_label(self.job_id)

    @property
    def details(self) -> str:
        """What the run did, in the current language."""
        if self.summary_key is None:
            return self.summary
        return render_summary(self.job_id, self.summary_key, self.summary_params or {})


# Failures of filling a stored summary in: an unknown key, a missing or mistyped value.
_RENDER_FAILURES = (KeyError, TypeError, ValueError)


def render_summary(job_id: str, key: str, params: dict) -> str:
    """A run's summary in the current language. It never raises: a job or key no longer
    declared, or values that do not fit its line, show the key and the values as stored."""
    try:
        return str(get_job(job_id).summaries[key]) % params
    except _RENDER_FAILURES:
        return " ".join([key, *(f"{name}={value}" for name, value in sorted(params.items()))])


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
                result = spec.load()(session, clock_now())
            if result is not None:
                run.summary_key, run.summary_params = result.key, result.params
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
                finished_at=clock_now(),
                outcome=run.outcome,
                summary=run.summary,
                summary_key=run.summary_key,
                summary_params=run.summary_params,
                error=run.error,
            )
        )
    return run


def recent_runs(session, limit: int = 100) -> list[JobRun]:
    return list(session.scalars(sa.select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))


def latest_runs(session) -> list[JobRun]:
    """The newest run of each job, newest first: a job that runs every minute does not crowd
    out the others. Runs get ids in the order they start, so the newest has the largest id."""
    newest = sa.select(sa.func.max(JobRun.id)).group_by(JobRun.job_id)
    return list(
        session.scalars(
            sa.select(JobRun).where(JobRun.id.in_(newest)).order_by(JobRun.started_at.desc())
        )
    )


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
    click.echo(f"{job_id}: {run.outcome.value} {run.details}".rstrip())
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
