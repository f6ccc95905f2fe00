"""Fixtures: an app per test on a fresh database, a fixed clock, and login helpers.

LEARNAPP_TEST_DB=sqlite (default) gives each test its own SQLite file, copied from one built from
the models at the start of the run: a file rather than memory, so that each session has its own
connection as in production (WAL, BEGIN IMMEDIATE) and a test's reads never share a transaction
with the requests it makes. LEARNAPP_TEST_DB=postgres builds a scratch database with the
migrations once per run on the server of LEARNAPP_TEST_POSTGRES_URL and empties every table
after each test.
"""

import os
import re
import shutil
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import learnapp.models  # noqa: F401  (every table, for the template database)
from learnapp import create_app
from learnapp.db import Base, get_db
from tests.factories import FIXED_NOW

DB_KIND = os.environ.get("LEARNAPP_TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get(
    "LEARNAPP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_SETTINGS = {
    "ENV_NAME": "testing",
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    "RATELIMIT_ENABLED": False,
}


class Clock:
    """A settable clock installed as app.config["CLOCK"]."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.at += timedelta(**delta)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class ScratchPostgres:
    """A throwaway database on the test server, created and dropped by this run."""

    def __init__(self, base_url: str, label: str):
        self.base_url = base_url
        self.name = f"learnapp_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = base_url.rsplit("/", 1)[0] + "/" + self.name

    def create(self) -> str:
        with psycopg.connect(_plain(self.base_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        with psycopg.connect(_plain(self.base_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def scratch_engine(tmp_path, label: str):
    """An empty database of the kind under test, for a migration's own test: a throwaway
    PostgreSQL database or a SQLite file; yields its engine, then disposes (and drops) it."""
    if DB_KIND == "postgres":
        scratch = ScratchPostgres(POSTGRES_URL, label)
        engine = sa.create_engine(scratch.create())
        yield engine
        engine.dispose()
        scratch.drop()
    else:
        engine = sa.create_engine(f"sqlite:///{tmp_path}/migrated.db")
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    if DB_KIND != "postgres":
        yield None
        return
    scratch = ScratchPostgres(POSTGRES_URL, "test")
    url = scratch.create()
    from learnapp.cli import upgrade_database

    engine = sa.create_engine(url)
    upgrade_database(engine)
    engine.dispose()
    yield url
    scratch.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    if DB_KIND != "sqlite":
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def clock():
    return Clock(FIXED_NOW)


@pytest.fixture
def app(tmp_path, clock, postgres_url, sqlite_template):
    if postgres_url is None:
        database = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, database)
    settings = {
        **TEST_SETTINGS,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": postgres_url or f"sqlite:///{database}",
        "CLOCK": clock,
    }
    app = create_app(settings)
    engine = get_db_engine(app)
    yield app
    if postgres_url is not None:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def get_db_engine(app):
    with app.app_context():
        return get_db().engine


@pytest.fixture
def session(app):
    """A session for arranging and checking data; tests commit what requests must see.

    No app context stays pushed: requests made by the test client must each get their own
    (`g` lives in the app context), as they do in production.
    """
    engine = app.extensions["learnapp.db"].engine
    # Deferred transactions: the test's own reads must not hold SQLite's write lock while the
    # requests and commands under test run.
    db_session = Session(engine.execution_options(sqlite_deferred=True), expire_on_commit=False)
    yield db_session
    db_session.rollback()
    db_session.close()


def reload(session) -> None:
    """Forget what the test session holds, so the next read sees what requests committed."""
    session.rollback()
    session.expire_all()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly; make no requests inside it."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Auth:
    """Log in and out through the real login form, and post with the page's CSRF token."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        match = CSRF_META.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = "correct horse battery"):
        token = self.csrf("/login")
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/profile")})

    def post(self, path: str, data: dict | None = None, **kwargs):
        token = self.csrf("/profile")
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
