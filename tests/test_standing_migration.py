"""The migration that keeps members' standing history back-fills it from the audit log: each
member's log is replayed back from their standing now to their creation; a member it cannot
account for gets a row marking where their record begins. It also empties the 学时 rollup for
the scheduled refresh to rebuild with the counted column. On SQLite and on PostgreSQL
(LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from learnapp.cli import alembic_config, upgrade_database
from learnapp.db import UTCDateTime
from tests.conftest import scratch_engine

BEFORE = "2cc200fc9f6f"
AFTER = "8ed0d56a3b13"
T0 = datetime(2024, 5, 1, tzinfo=UTC)
T1 = datetime(2025, 3, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)
T3 = datetime(2026, 6, 1, tzinfo=UTC)
# name: (category now, 年老体弱 now, leadership roles now)
PEOPLE = {
    "granted": ("full", False, ["committee_member"]),
    "changed": ("probationary", True, []),
    "revoked": ("full", False, []),
    "unlogged": ("full", False, ["secretary"]),
    "inconsistent": ("masses", False, []),
    "quiet": ("full", False, []),
}
AUDIT = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer),
    sa.column("at", UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "standing_history")


def _insert(connection, table: str, **values) -> None:
    connection.execute(sa.table(table, *map(sa.column, values)).insert().values(**values))


def _log(connection, user_id: int, at: datetime, action: str, before=None, after=None) -> None:
    connection.execute(
        AUDIT.insert().values(
            at=at,
            actor_id=1,
            action=action,
            target_type="user",
            target_id=str(user_id),
            before=before,
            after=after,
        )
    )


def _arrange(engine) -> dict[str, int]:
    upgrade_database(engine, BEFORE)
    ids = {name: number for number, name in enumerate(PEOPLE, start=1)}
    with engine.begin() as connection:
        _insert(
            connection,
            "units",
            id=1,
            name="支部",
            kind="branch",
            timezone="Asia/Shanghai",
            path="/1/",
            is_active=True,
            created_at=T0,
        )
        for name, (category, exempt, roles) in PEOPLE.items():
            _insert(
                connection,
                "users",
                id=ids[name],
                username=name,
                display_name=name,
                is_active=True,
                unit_id=1,
                category=category,
                is_mobile=False,
                is_retired=False,
                is_elderly_exempt=exempt,
                must_change_password=False,
                created_at=T0,
            )
            for role in roles:
                _insert(
                    connection,
                    "role_assignments",
                    user_id=ids[name],
                    unit_id=1,
                    role=role,
                    granted_at=T1,
                )
            if name != "unlogged":
                created = "full" if name != "changed" else "activist"
                _log(connection, ids[name], T0, "user.created", after={"category": created})
        _log(connection, ids["granted"], T1, "role.granted", after={"role": "reviewer"})
        role = {"role": "committee_member", "unit_id": 1}
        _log(connection, ids["granted"], T1, "role.granted", after=role)
        member = {"category": "activist", "is_elderly_exempt": False}
        probationary = {**member, "category": "probationary"}
        _log(connection, ids["changed"], T2, "member.updated", before=member, after=probationary)
        exempt = {**probationary, "is_elderly_exempt": True}
        _log(connection, ids["changed"], T3, "member.updated", before=probationary, after=exempt)
        secretary = {"role": "secretary", "unit_id": 1}
        _log(connection, ids["revoked"], T1, "role.granted", after=secretary)
        _log(connection, ids["revoked"], T2, "role.revoked", before=secretary)
        _insert(
            connection,
            "completion_member_hours",
            member_id=1,
            year=2026,
            h_centralised=1,
            h_collective=0,
            h_online=0,
            h_self_study=0,
            h_external=0,
        )
        _insert(connection, "completion_rollup_state", id=1, last_entry_id=7)
    return ids


def _changes(engine) -> list[tuple]:
    """(changed_at, user_id, then category, 年老体弱 and leader before and after), in id order."""
    table = sa.table(
        "standing_changes",
        sa.column("id", sa.Integer),
        sa.column("changed_at", UTCDateTime(timezone=True)),
        sa.column("user_id", sa.Integer),
        sa.column("category_before", sa.String),
        sa.column("is_elderly_exempt_before", sa.Boolean),
        sa.column("is_leader_before", sa.Boolean),
        sa.column("category_after", sa.String),
        sa.column("is_elderly_exempt_after", sa.Boolean),
        sa.column("is_leader_after", sa.Boolean),
    )
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*(column for column in table.c if column.name != "id")).order_by(table.c.id)
        ).all()
    return [tuple(row) for row in rows]


def test_the_audit_log_is_replayed_into_the_standing_history(engine):
    ids = _arrange(engine)
    started = datetime.now(UTC)
    upgrade_database(engine, AFTER)
    changes = _changes(engine)
    dated = [change for change in changes if change[0] < started]
    assert dated == [
        (T1, ids["granted"], "full", False, False, "full", False, True),
        (T1, ids["revoked"], "full", False, False, "full", False, True),
        (T2, ids["changed"], "activist", False, False, "probationary", False, False),
        (T2, ids["revoked"], "full", False, True, "full", False, False),
        (T3, ids["changed"], "probationary", False, False, "probationary", True, False),
    ]
    # No log, or one that does not lead to the standing now: the record begins here.
    marks = {change[1]: change for change in changes if change[0] >= started}
    assert set(marks) == {ids["unlogged"], ids["inconsistent"]}
    assert marks[ids["unlogged"]][2:] == (None, None, None, "full", False, True)
    assert marks[ids["inconsistent"]][2:] == (None, None, None, "masses", False, False)
    with engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT COUNT(*) FROM completion_member_hours")).scalar()
            == 0
        )
        assert (
            connection.execute(
                sa.text("SELECT last_entry_id FROM completion_rollup_state")
            ).scalar()
            == 0
        )
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    assert "standing_changes" not in sa.inspect(engine).get_table_names()
