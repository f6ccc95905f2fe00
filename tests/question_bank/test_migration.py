"""The migration that names the version a review was of gives the reviews already stored the
version that was current when they were made, on SQLite and on PostgreSQL
(LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from learnapp.cli import upgrade_database
from learnapp.db import UTCDateTime
from tests.conftest import scratch_engine

BEFORE = "881e347125a6"
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)

banks = sa.table(
    "question_banks",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("two_person_review", sa.Boolean),
    sa.column("is_default", sa.Boolean),
    sa.column("created_at", UTCDateTime),
)
users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("display_name", sa.String),
    sa.column("is_active", sa.Boolean),
    sa.column("category", sa.String),
    sa.column("is_mobile", sa.Boolean),
    sa.column("is_retired", sa.Boolean),
    sa.column("is_elderly_exempt", sa.Boolean),
    sa.column("created_at", UTCDateTime),
)
questions = sa.table(
    "questions",
    sa.column("id", sa.Integer),
    sa.column("bank_id", sa.Integer),
    sa.column("type", sa.String),
    sa.column("status", sa.String),
    sa.column("status_reason", sa.String),
    sa.column("stem", sa.Text),
    sa.column("stem_key", sa.String),
    sa.column("difficulty", sa.Integer),
    sa.column("revision", sa.Integer),
    sa.column("reviewer_id", sa.Integer),
    sa.column("reviewed_at", UTCDateTime),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
versions = sa.table(
    "question_versions",
    sa.column("id", sa.Integer),
    sa.column("question_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("stem", sa.Text),
    sa.column("spec", sa.JSON),
    sa.column("points", sa.Numeric),
    sa.column("difficulty", sa.Integer),
    sa.column("explanation", sa.Text),
    sa.column("source_document", sa.String),
    sa.column("source_version", sa.String),
    sa.column("audience", sa.String),
    sa.column("created_at", UTCDateTime),
    sa.column("use_count", sa.Integer),
)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "reviewed_version")


def _question(connection, question_id, status, reviewed_hours, version_hours) -> None:
    """A question whose versions were made `version_hours` after T0 and reviewed
    `reviewed_hours` after T0 (None: never)."""
    reviewed = None if reviewed_hours is None else T0 + timedelta(hours=reviewed_hours)
    connection.execute(
        sa.insert(questions).values(
            id=question_id,
            bank_id=1,
            type="judge",
            status=status,
            status_reason="",
            stem=f"题{question_id}",
            stem_key=f"题{question_id}",
            difficulty=2,
            revision=1,
            reviewer_id=None if reviewed is None else 1,
            reviewed_at=reviewed,
            created_at=T0,
            updated_at=T0,
        )
    )
    for number, hours in enumerate(version_hours, start=1):
        connection.execute(
            sa.insert(versions).values(
                id=question_id * 10 + number,
                question_id=question_id,
                number=number,
                stem=f"题{question_id}",
                spec={"answer": True},
                points=1,
                difficulty=2,
                explanation="",
                source_document="",
                source_version="",
                audience="all",
                created_at=T0 + timedelta(hours=hours),
                use_count=0,
            )
        )


def test_reviews_stored_before_name_the_version_current_when_they_were_made(engine):
    upgrade_database(engine, BEFORE)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(banks).values(
                id=1, name="题库", two_person_review=True, is_default=False, created_at=T0
            )
        )
        connection.execute(
            sa.insert(users).values(
                id=1,
                username="reviewer",
                display_name="审核员",
                is_active=True,
                category="full",
                is_mobile=False,
                is_retired=False,
                is_elderly_exempt=False,
                created_at=T0,
            )
        )
        _question(connection, 1, "in_review", 1, (0, 2))  # edited after approval: v2 waits
        _question(connection, 2, "active", 1, (0,))
        _question(connection, 3, "draft", None, (0,))  # never reviewed
        _question(connection, 4, "active", 3, (0, 2))  # v2 approved
    upgrade_database(engine)
    with engine.connect() as connection:
        reviewed = dict(
            connection.execute(sa.text("SELECT id, reviewed_version_id FROM questions")).all()
        )
    assert reviewed == {1: 11, 2: 21, 3: None, 4: 42}
