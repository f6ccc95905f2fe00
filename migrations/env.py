"""Alembic environment: runs on the connection handed over by `flask --app learnapp db ...`."""

from alembic import context

import learnapp.models  # noqa: F401  (registers every table on Base.metadata)
from learnapp.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `flask --app learnapp db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
