"""Models and migrations agree: applying every migration gives exactly the models' schema."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import learnapp.models  # noqa: F401
from learnapp.cli import upgrade_database
from learnapp.db import Base
from tests.conftest import DB_KIND, POSTGRES_URL, ScratchPostgres


def _differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        upgrade_database(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_models(tmp_path):
    if DB_KIND == "postgres":
        scratch = ScratchPostgres(POSTGRES_URL, "migrations")
        try:
            assert _differences(scratch.create()) == []
        finally:
            scratch.drop()
    else:
        assert _differences(f"sqlite:///{tmp_path}/migrated.db") == []
