from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import AuthSession, User
from learnapp.jobs import (
    JOBS,
    JobOutcome,
    JobRun,
    JobSpec,
    describe_trigger,
    job_label,
    latest_runs,
    render_summary,
    run_job,
)
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
    assert (stored.summary_key, stored.summary_params) == ("purged", {"sessions": 1, "counters": 0})
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


def _runs(session, clock, *job_ids, outcome=JobOutcome.SUCCESS):
    for minutes, job_id in enumerate(job_ids):
        session.add(
            JobRun(
                job_id=job_id,
                started_at=clock() + timedelta(minutes=minutes),
                finished_at=clock() + timedelta(minutes=minutes),
                outcome=outcome,
            )
        )
    session.flush()


def test_latest_runs_keep_one_run_per_job_newest_first(session, clock):
    _runs(session, clock, "accounts.purge_expired", *["quizzes.finish_overdue"] * 5)
    latest = latest_runs(session)
    assert [run.job_id for run in latest] == ["quizzes.finish_overdue", "accounts.purge_expired"]
    assert latest[0].started_at == clock() + timedelta(minutes=5)


def test_every_job_has_a_name_and_a_schedule_in_words(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        for spec in JOBS:
            assert spec.label and str(spec.label) != spec.id
            assert "=" not in spec.schedule, spec.id
            assert job_label(spec.id) == str(spec.label)
        assert describe_trigger({"trigger": "interval", "minutes": 1}) == "Every minute"
        assert describe_trigger({"trigger": "interval", "minutes": 5}) == "Every 5 minutes"
        assert describe_trigger({"trigger": "interval", "hours": 1}) == "Every hour"
        # The cron times are UTC; the page shows them in the organisation's zone (UTC+8).
        weekly = {"trigger": "cron", "day_of_week": "mon", "hour": 1, "minute": 0}
        assert describe_trigger(weekly) == "Every Monday at 09:00"
        late = {"trigger": "cron", "day_of_week": "sun", "hour": 20, "minute": 30}
        assert describe_trigger(late) == "Every Monday at 04:30"
        odd = {"trigger": "cron", "month": "1-3", "hour": 2}
        assert "month=1-3" in describe_trigger(odd)
        assert job_label("gone.job") == "gone.job"
        assert JobOutcome.SUCCESS.label == "Succeeded"


def _admin_in_english(session):
    from tests.world import build_world

    world = build_world(session)
    world.admin.locale = "en"
    session.commit()


def test_jobs_page_shows_names_schedules_and_outcomes_in_words(auth, session, clock):
    _admin_in_english(session)
    _runs(session, clock, "accounts.purge_expired", "quizzes.finish_overdue")
    _runs(session, clock, "uploads.purge_stale", outcome=JobOutcome.ERROR)
    session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/jobs").get_data(as_text=True)
    assert "Purge expired logins" in page
    assert "Every 5 minutes" in page
    assert "Every Monday at 09:00" in page
    assert "Succeeded" in page and "Failed" in page
    assert ">success<" not in page and "trigger=interval" not in page


def test_home_card_shows_the_latest_run_of_each_job(auth, session, clock):
    _admin_in_english(session)
    _runs(session, clock, "accounts.purge_expired", *["quizzes.finish_overdue"] * 5)
    session.commit()
    auth.login("admin")
    page = auth.client.get("/").get_data(as_text=True)
    assert page.count('data-testid="last-run"') == 2
    assert "Finish overdue exam attempts · " in page
    assert "quizzes.finish_overdue ·" not in page


def test_every_job_reports_a_summary_its_spec_declares(app, session):
    for spec in JOBS:
        with app.app_context():
            run = run_job(spec.id)
        assert run.outcome == JobOutcome.SUCCESS, (spec.id, run.error)
        assert run.summary_key in spec.summaries, spec.id
        with app.test_request_context():
            assert "%(" not in run.details and "=" not in run.details, spec.id


def test_a_summary_reads_in_the_viewers_language_and_old_runs_keep_their_text(
    auth, session, clock, monkeypatch
):
    from flask_babel import lazy_gettext as _l

    from tests.world import build_world

    spec = JobSpec(
        "test.import", "tests.test_jobs:unused", summaries={"done": _l("%(n)d members imported.")}
    )
    monkeypatch.setattr("learnapp.jobs.JOBS", (*JOBS, spec))
    build_world(session)
    session.add_all(
        [
            JobRun(
                job_id="test.import",
                started_at=clock(),
                outcome=JobOutcome.SUCCESS,
                summary_key="done",
                summary_params={"n": 3},
            ),
            JobRun(
                job_id="quizzes.finish_overdue",
                started_at=clock(),
                outcome=JobOutcome.SUCCESS,
                summary="0 overdue attempts finished",
            ),
        ]
    )
    session.commit()
    auth.login("admin")
    chinese = auth.client.get("/admin/jobs").get_data(as_text=True)
    assert "已导入 3 名成员。" in chinese
    assert "0 overdue attempts finished" in chinese  # recorded before summaries had keys
    auth.client.set_cookie("learnapp_lang", "en")
    session.execute(sa.update(User).where(User.username == "admin").values(locale="en"))
    session.commit()
    english = auth.client.get("/admin/jobs").get_data(as_text=True)
    assert "3 members imported." in english and "已导入" not in english


def test_a_summary_that_cannot_be_filled_shows_its_key_and_values(ctx):
    assert render_summary("quizzes.finish_overdue", "finished", {"attempts": 2}) == (
        "已结束超时答卷：2。"
    )
    assert render_summary("quizzes.finish_overdue", "gone", {"attempts": 2}) == "gone attempts=2"
    assert render_summary("no.such.job", "finished", {}) == "finished"
    assert render_summary("quizzes.finish_overdue", "finished", {"attempts": "x"}) == (
        "finished attempts=x"
    )
