"""The migration that lapses 积分 items left pending in periods whose dossiers are frozen: as of
the freeze, each logged; items of periods still open keep waiting; the downgrade gives the
states the earlier code knows. On SQLite and on PostgreSQL (LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from learnapp.cli import alembic_config, upgrade_database
from learnapp.db import UTCDateTime
from tests.conftest import scratch_engine

BEFORE = "5e8c1a7d3b26"
AT = datetime(2026, 3, 1, 8, tzinfo=UTC)
FROZEN = datetime(2026, 11, 30, 16, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "point_lapse")


def _insert(connection, table: str, **values) -> None:
    connection.execute(sa.table(table, *map(sa.column, values)).insert().values(**values))


def _arrange(engine) -> None:
    """Two branches: A's period frozen at the committee step, B's still at the evaluation; in
    each an item pending and one approved."""
    upgrade_database(engine, BEFORE)
    with engine.begin() as connection:
        for unit_id in (1, 2):
            _insert(
                connection,
                "units",
                id=unit_id,
                name=f"支部{unit_id}",
                kind="branch",
                timezone="Asia/Shanghai",
                path=f"/{unit_id}/",
                is_active=True,
                created_at=AT,
            )
            _insert(
                connection,
                "users",
                id=unit_id,
                username=f"user{unit_id}",
                display_name=f"user{unit_id}",
                is_active=True,
                unit_id=unit_id,
                category="full",
                is_mobile=False,
                is_retired=False,
                is_elderly_exempt=False,
                must_change_password=False,
                created_at=AT,
            )
        _insert(
            connection,
            "assessment_rule_sets",
            id=1,
            version="2026",
            effective_from=date(2026, 1, 1),
            source="规定",
            rules="{}",
            created_at=AT,
        )
        for period_id, step, frozen_at in ((1, "committee", FROZEN), (2, "evaluation", None)):
            _insert(
                connection,
                "assessment_periods",
                id=period_id,
                unit_id=period_id,
                year=2026,
                rule_set_id=1,
                step=step,
                self_opens_at=AT,
                peer_opens_at=AT,
                ballot_opens_at=AT,
                ballot_closes_at=AT,
                excellent_justification="",
                reminded_step="",
                created_at=AT,
                frozen_at=frozen_at,
            )
        for item_id, period_id, state in (
            (1, 1, "pending"),
            (2, 1, "approved"),
            (3, 2, "pending"),
            (4, 2, "approved"),
        ):
            _insert(
                connection,
                "assessment_point_items",
                id=item_id,
                period_id=period_id,
                member_id=period_id,
                kind="bonus",
                points=8,
                reason="志愿服务",
                evidence="证书",
                state=state,
                proposed_by_id=period_id,
                created_at=AT,
            )


def _states(engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, state FROM assessment_point_items"))
        return dict(rows.all())


def test_items_pending_in_a_frozen_period_lapse_and_the_downgrade_restores_them(engine):
    _arrange(engine)
    upgrade_database(engine)
    assert _states(engine) == {1: "lapsed", 2: "approved", 3: "pending", 4: "approved"}
    with engine.connect() as connection:
        decided = connection.execute(
            sa.select(sa.column("decided_at", UTCDateTime(timezone=True)))
            .select_from(sa.table("assessment_point_items"))
            .where(sa.column("id") == 1)
        ).scalar_one()
        entries = connection.execute(
            sa.text("SELECT actor_id, action, target_type, target_id FROM audit_entries")
        ).all()
    assert decided == FROZEN  # when the dossiers were frozen
    assert [tuple(entry) for entry in entries] == [
        (None, "assessment.points_lapse", "assessment_point_item", "1")
    ]
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    assert _states(engine) == {1: "pending", 2: "approved", 3: "pending", 4: "approved"}
