import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from learnapp import create_app
from learnapp.db import BUSY_TIMEOUT_MS, DurableSQLiteConnection, UTCDateTime, get_db
from learnapp.jobs import JobOutcome, JobRun
from tests.conftest import DB_KIND, TEST_SETTINGS, utc


def test_naive_datetimes_are_refused(session):
    session.add(JobRun(job_id="x", started_at=datetime(2026, 1, 1), outcome=JobOutcome.SUCCESS))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_datetimes_come_back_as_aware_utc(session):
    east8 = timezone(timedelta(hours=8))
    run = JobRun(
        job_id="x", started_at=datetime(2026, 1, 1, 8, 0, tzinfo=east8), outcome=JobOutcome.SUCCESS
    )
    session.add(run)
    session.commit()
    session.expire_all()
    loaded = session.get(JobRun, run.id)
    assert loaded.started_at == utc(2026, 1, 1, 0, 0)
    assert loaded.started_at.utcoffset() == timedelta(0)


def test_utc_type_keeps_none():
    kind = UTCDateTime()
    assert kind.process_bind_param(None, sqlite.dialect()) is None
    assert kind.process_result_value(None, sqlite.dialect()) is None


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite connection settings")
def test_sqlite_file_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app(
        {**TEST_SETTINGS, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    with app.app_context(), get_db().engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # NORMAL: COMMIT does not sync; the connection syncs the WAL after it (tests below).
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert isinstance(connection.connection.driver_connection, DurableSQLiteConnection)
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite locking behaviour")
def test_concurrent_read_then_write_transactions_do_not_fail_or_lose_updates(tmp_path):
    """BEGIN IMMEDIATE makes read-modify-write transactions wait instead of failing."""
    app = create_app(
        {**TEST_SETTINGS, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    )
    with app.app_context():
        db = get_db()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
            connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors = []

    def worker():
        with app.app_context():
            for _ in range(25):
                try:
                    with get_db().session_scope() as session:
                        value = session.execute(sa.text("SELECT n FROM counter")).scalar()
                        session.execute(sa.text("UPDATE counter SET n = :n"), {"n": value + 1})
                except sa.exc.OperationalError as error:
                    errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context(), get_db().engine.connect() as connection:
        total = connection.exec_driver_sql("SELECT n FROM counter").scalar()
    assert errors == []
    assert total == 100


def _sqlite_app(tmp_path):
    app = create_app(
        {**TEST_SETTINGS, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}
    )
    with app.app_context(), get_db().engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    return app


def _hold_write_lock(tmp_path):
    holder = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite locking behaviour")
def test_a_writer_waits_for_the_write_lock_then_keeps_the_busy_timeout(tmp_path):
    app = _sqlite_app(tmp_path)
    holder = _hold_write_lock(tmp_path)
    releaser = threading.Timer(0.3, holder.commit)
    releaser.start()
    started = time.monotonic()
    with app.app_context(), get_db().session_scope() as session:
        session.execute(sa.text("UPDATE counter SET n = n + 1"))
        timeout = session.execute(sa.text("PRAGMA busy_timeout")).scalar()
    releaser.join()
    assert time.monotonic() - started >= 0.25
    assert timeout == BUSY_TIMEOUT_MS  # only BEGIN IMMEDIATE polls
    with app.app_context(), get_db().engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 1


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite locking behaviour")
def test_a_writer_gives_up_after_the_busy_timeout(tmp_path, monkeypatch):
    app = _sqlite_app(tmp_path)
    holder = _hold_write_lock(tmp_path)
    monkeypatch.setattr("learnapp.db.BUSY_TIMEOUT_MS", 200)
    started = time.monotonic()
    with (
        pytest.raises(sa.exc.OperationalError, match="locked"),
        app.app_context(),
        get_db().session_scope() as session,
    ):
        session.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert 0.2 <= time.monotonic() - started < 5
    holder.rollback()


def _record_syncs(monkeypatch, database_path):
    """Every fdatasync of the learnapp.db module: the synced file, and whether another
    connection could take the write lock at that moment (the lock was already released)."""
    import learnapp.db

    synced = []
    real_fdatasync = os.fdatasync

    def fdatasync(descriptor):
        probe = sqlite3.connect(database_path, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            lock_free = True
        except sqlite3.OperationalError:
            lock_free = False
        finally:
            probe.close()
        synced.append((os.readlink(f"/proc/self/fd/{descriptor}"), lock_free))
        real_fdatasync(descriptor)

    monkeypatch.setattr(learnapp.db.os, "fdatasync", fdatasync)
    return synced


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite durability")
def test_a_write_transaction_syncs_the_wal_after_the_write_lock_is_released(tmp_path, monkeypatch):
    app = _sqlite_app(tmp_path)
    synced = _record_syncs(monkeypatch, tmp_path / "w.db")
    with app.app_context(), get_db().session_scope() as session:
        session.execute(sa.text("UPDATE counter SET n = n + 1"))
        assert synced == []  # nothing before COMMIT
    assert synced == [(str(tmp_path / "w.db-wal"), True)]


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite durability")
def test_rolled_back_and_read_only_transactions_sync_nothing(tmp_path, monkeypatch):
    app = _sqlite_app(tmp_path)
    synced = _record_syncs(monkeypatch, tmp_path / "w.db")
    with app.app_context():
        with pytest.raises(RuntimeError), get_db().session_scope() as session:
            session.execute(sa.text("UPDATE counter SET n = n + 1"))
            raise RuntimeError("the unit of work fails")
        # A read transaction (GET requests begin deferred, as this one) that commits.
        with get_db().engine.connect().execution_options(sqlite_deferred=True) as connection:
            connection.exec_driver_sql("SELECT n FROM counter")
            connection.commit()
            assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 0
    assert synced == []


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite durability")
def test_the_wal_directory_entry_is_synced_once_per_wal_file(tmp_path, monkeypatch):
    import learnapp.db

    app = _sqlite_app(tmp_path)
    folders = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        learnapp.db.os,
        "fsync",
        lambda descriptor: (
            folders.append(os.readlink(f"/proc/self/fd/{descriptor}")) or real_fsync(descriptor)
        ),
    )
    monkeypatch.setattr(learnapp.db, "_wal_entries_synced", set())
    with app.app_context():
        for _ in range(3):
            with get_db().session_scope() as session:
                session.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert folders == [str(tmp_path)]


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite durability")
def test_only_views_that_tolerate_power_loss_commit_without_sync(app, monkeypatch):
    from learnapp.db import commit, get_session, tolerates_power_loss
    from learnapp.extensions import csrf

    database_path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    synced = _record_syncs(monkeypatch, database_path)

    def write():
        get_session().execute(sa.text("DELETE FROM job_runs WHERE job_id = 'none'"))
        commit()
        return {"synced": len(synced)}

    @app.post("/_relaxed")
    @csrf.exempt
    @tolerates_power_loss
    def relaxed():
        return write()

    @app.post("/_durable")
    @csrf.exempt
    def durable():
        return write()

    client = app.test_client()
    # One pooled connection serves them in turn: the sync follows each request's view.
    counts = [client.post(path).get_json()["synced"] for path in ("/_relaxed", "/_durable") * 2]
    assert counts == [0, 1, 1, 2]
    assert {path for path, _lock_free in synced} == {database_path + "-wal"}


def test_a_failing_request_stores_nothing(app, session):
    """The request's transaction is rolled back when the view raises."""
    from learnapp.db import get_session

    @app.get("/_explode")
    def explode():
        get_session().add(
            JobRun(job_id="boom", started_at=utc(2026, 1, 1), outcome=JobOutcome.RUNNING)
        )
        get_session().flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/_explode")
    assert response.status_code == 500
    assert session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0


def test_within_path_selects_exactly_the_subtree(session):
    from learnapp.db import within_path
    from learnapp.orgs.models import Unit
    from tests.factories import make_unit

    root = make_unit(session)
    branch = make_unit(session, parent=root)
    paths = {"/1/4/": "self", "/1/4/9/": "child", "/1/40/": "sibling", "/1/3/": "before"}
    for path in paths:
        session.execute(sa.update(Unit).where(Unit.id == branch.id).values(path=path))
        inside = session.scalar(
            sa.select(sa.func.count()).select_from(Unit).where(within_path(Unit.path, "/1/4/"))
        )
        assert inside == (1 if paths[path] in ("self", "child") else 0), path
