from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import AuthSession
from learnapp.jobs import JOBS, JobOutcome, JobRun, JobSpec, run_job
from tests.conftest import DB_KIND
from tests.factories import make_user


def test_job_ids_are_unique_and_targets_import():
    assert len({spec.id for spec in JOBS}) == len(JOBS)
    for spec in JOBS:
        assert callable(spec.load())


def test_run_records_a_successful_run(app, session, clock):
    user = make_user(session)
    session.add(
        AuthSession(
            id="stale",
            user_id=user.id,
            created_at=clock() - timedelta(days=5),
            expires_at=clock() - timedelta(days=4),
        )
    )
    session.commit()
    with app.app_context():
        run = run_job("accounts.purge_expired")
    assert run.outcome == JobOutcome.SUCCESS
    stored = session.scalar(sa.select(JobRun))
    assert stored.outcome == JobOutcome.SUCCESS
    assert stored.summary.startswith("1 sessions")
    assert stored.finished_at is not None
    assert session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0


def test_a_failing_job_is_recorded_with_its_error_and_rolls_back(app, session, monkeypatch):
    def explode(job_session, now):
        make_user(job_session, username="never-stored")
        raise RuntimeError("disk on fire")

    failing = JobSpec("test.fail", "tests.test_jobs:explode")
    monkeypatch.setattr("learnapp.jobs.JOBS", (failing,))
    monkeypatch.setattr(JobSpec, "load", lambda self: explode)
    with app.app_context():
        run = run_job("test.fail")
    assert run.outcome == JobOutcome.ERROR
    stored = session.scalar(sa.select(JobRun))
    assert "disk on fire" in stored.error
    from learnapp.accounts.models import User

    assert session.scalar(sa.select(User).where(User.username == "never-stored")) is None


@pytest.mark.skipif(DB_KIND != "postgres", reason="advisory locks are PostgreSQL's")
def test_a_second_scheduler_does_not_run_a_job_held_by_the_first(app, session):
    from learnapp.db import get_db
    from learnapp.jobs import _lock_key

    with app.app_context():
        holder = get_db().engine.connect()
        holder.execute(
            sa.text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key("accounts.purge_expired")}
        )
        try:
            run = run_job("accounts.purge_expired")
        finally:
            holder.execute(
                sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key("accounts.purge_expired")}
            )
            holder.close()
        assert run.outcome == JobOutcome.SKIPPED
        assert run_job("accounts.purge_expired").outcome == JobOutcome.SUCCESS


def test_jobs_cli_lists_and_runs_once(runner, session):
    listing = runner.invoke(args=["jobs", "list"])
    assert "accounts.purge_expired" in listing.output
    once = runner.invoke(args=["jobs", "once", "uploads.purge_stale"])
    assert once.exit_code == 0, once.output
    assert "success" in once.output
    unknown = runner.invoke(args=["jobs", "once", "nope"])
    assert unknown.exit_code != 0


def test_job_runs_page_is_for_admins(auth, session):
    from tests.world import build_world

    build_world(session)
    auth.login("admin")
    assert auth.client.get("/admin/jobs").status_code == 200
