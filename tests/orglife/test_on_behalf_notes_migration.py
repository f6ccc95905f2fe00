"""The migration that takes the Chinese prefix off the ledger notes of study recorded on behalf
(送学上门) strips it from the entries of claims so flagged only, and the downgrade puts it back;
on SQLite and on PostgreSQL (LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from learnapp.cli import alembic_config, upgrade_database
from tests.conftest import scratch_engine

BEFORE = "7b3e9d2a4c61"
AT = datetime(2026, 3, 1, 8, tzinfo=UTC)
DAY = date(2026, 3, 1)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "onbehalf")


def _insert(connection, table: str, **values) -> None:
    connection.execute(sa.insert(sa.table(table, *map(sa.column, values))).values(values))


def _seed(connection) -> None:
    _insert(
        connection, "units", id=1, name="甲支部", kind="branch", timezone="Asia/Shanghai",
        path="/1/", is_active=True, created_at=AT,
    )  # fmt: skip
    for user_id in (1, 2):
        _insert(
            connection, "users", id=user_id, username=f"user{user_id}",
            display_name=f"user{user_id}", is_active=True, unit_id=1, category="full",
            is_mobile=False, is_retired=True, is_elderly_exempt=False, created_at=AT,
        )  # fmt: skip
    _insert(
        connection, "hours_rule_sets", id=1, version="2026", effective_from=DAY, source="",
        rules="{}", created_at=AT,
    )  # fmt: skip
    # Claim 1 was recorded on behalf; claim 2 is a member's own claim whose description
    # happens to begin with the same words.
    for claim_id, on_behalf in ((1, True), (2, False)):
        _insert(
            connection, "orglife_claims", id=claim_id, member_id=1, unit_id=1,
            category="collective", hours=2, studied_on=DAY, description="学习党章",
            evidence_display_name="", evidence_content_type="", state="approved",
            is_on_behalf=on_behalf, decision_reason="", created_at=AT,
        )  # fmt: skip
    for entry_id, source_type, source_id, note in (
        (1, "claim", "1", "送学上门：学习党章"),
        (2, "claim", "2", "送学上门：自己申报"),
        (3, "self_study", "1", "送学上门：自学笔记"),
    ):
        _insert(
            connection, "hours_ledger", id=entry_id, member_id=1, category="collective",
            source_type=source_type, source_id=source_id, verified_seconds=0, hours=2,
            nominal_hours=2, rule_set_id=1, credited_on=DAY, year=2026, status="credited",
            created_at=AT, note=note,
        )  # fmt: skip


def _notes(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(sa.text("SELECT note FROM hours_ledger ORDER BY id")))


def test_the_prefix_leaves_the_notes_of_study_recorded_on_behalf_only(engine):
    upgrade_database(engine, BEFORE)
    with engine.begin() as connection:
        _seed(connection)
    upgrade_database(engine)
    assert _notes(engine) == ["学习党章", "送学上门：自己申报", "送学上门：自学笔记"]
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    assert _notes(engine) == ["送学上门：学习党章", "送学上门：自己申报", "送学上门：自学笔记"]
