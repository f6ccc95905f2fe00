"""The migration that keeps each attendance's member category fills it in for the attendance
already recorded, from the member's category, on SQLite and on PostgreSQL
(LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from learnapp.cli import alembic_config, upgrade_database
from tests.conftest import scratch_engine

BEFORE = "3c7a1e9d5b42"
AT = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "attendance")


def _columns(engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("orglife_attendances")}


def test_attendance_recorded_before_takes_the_members_category(engine):
    upgrade_database(engine, BEFORE)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO units (id, name, kind, timezone, path, is_active, created_at)"
                " VALUES (1, '甲支部', 'branch', 'Asia/Shanghai', '/1/', :yes, :at)"
            ),
            {"yes": True, "at": AT},
        )
        for user_id, category in ((1, "full"), (2, "probationary")):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, username, display_name, is_active, unit_id,"
                    " category, is_mobile, is_retired, is_elderly_exempt, created_at)"
                    " VALUES (:id, :name, :name, :yes, 1, :category, :no, :no, :no, :at)"
                ),
                {
                    "id": user_id,
                    "name": f"user{user_id}",
                    "category": category,
                    "yes": True,
                    "no": False,
                    "at": AT,
                },
            )
        connection.execute(
            sa.text(
                "INSERT INTO orglife_meetings (id, unit_id, kind, title, held_on, place,"
                " observers, agenda, notes, resolutions, vote_subject, created_at)"
                " VALUES (1, 1, 'general', '支部党员大会', :day, '', '', '', '', '', '', :at)"
            ),
            {"day": date(2026, 3, 1), "at": AT},
        )
        for user_id in (1, 2):
            connection.execute(
                sa.text(
                    "INSERT INTO orglife_attendances (meeting_id, member_id, status, reason,"
                    " credit_seq) VALUES (1, :id, 'present', '', 0)"
                ),
                {"id": user_id},
            )
    upgrade_database(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT member_id, category FROM orglife_attendances ORDER BY member_id")
        ).all()
    assert [tuple(row) for row in rows] == [(1, "full"), (2, "probationary")]
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    assert "category" not in _columns(engine)
