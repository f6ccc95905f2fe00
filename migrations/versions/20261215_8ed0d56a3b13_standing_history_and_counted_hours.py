"""members' standing history; hours counted by each entry's own rule set in the rollup

Revision ID: 8ed0d56a3b13
Revises: 2cc200fc9f6f
Create Date: 2026-12-15 09:00:00

1. `standing_changes` keeps every change of what decides a member's 学时 target (category,
   年老体弱, holding a 书记 or 委员 role), so that a finished year follows the standing at its end
   instead of today's. It is back-filled from the audit log, which has recorded every such change
   since the platform began ("member.updated" with the category and 年老体弱 before and after,
   "role.granted" and "role.revoked" with the role and unit): each member's log is replayed
   backwards from their standing now to their "user.created" entry. A member whose log does not
   reach back to their creation, or does not agree with their standing now, gets one row at this
   migration marking the start of the record (before-values NULL): years that ended before it
   show today's standing, and say so.
2. `completion_member_hours.h_counted`: the hours counted toward the target, each entry by the
   rule set it was credited with. The rollup is a cache of the ledger: it is emptied here and the
   scheduled refresh rebuilds it (until then the dashboards read the ledger itself).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import learnapp.db

revision = "8ed0d56a3b13"
down_revision = "2cc200fc9f6f"
branch_labels = None
depends_on = None

CATEGORIES = ("full", "probationary", "candidate", "activist", "masses")
LEADERSHIP = ("secretary", "committee_member")
ACTIONS = ("user.created", "member.updated", "role.granted", "role.revoked")


def _category() -> sa.Enum:
    return sa.Enum(*CATEGORIES, name="membercategory", native_enum=False, length=32)


def upgrade() -> None:
    standing = op.create_table(
        "standing_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("category_before", _category(), nullable=True),
        sa.Column("is_elderly_exempt_before", sa.Boolean(), nullable=True),
        sa.Column("is_leader_before", sa.Boolean(), nullable=True),
        sa.Column("category_after", _category(), nullable=False),
        sa.Column("is_elderly_exempt_after", sa.Boolean(), nullable=False),
        sa.Column("is_leader_after", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(category_before IS NULL) = (is_elderly_exempt_before IS NULL) "
            "AND (category_before IS NULL) = (is_leader_before IS NULL)",
            name=op.f("ck_standing_changes_before_all_or_none"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_standing_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_standing_changes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_changes")),
    )
    with op.batch_alter_table("standing_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standing_changes_changed_at"), ["changed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_standing_changes_user_id"), ["user_id"], unique=False)
    rows = backfill(op.get_bind(), datetime.now(UTC))
    if rows:
        op.bulk_insert(standing, rows)

    op.execute("DELETE FROM completion_member_hours")
    op.execute("UPDATE completion_rollup_state SET last_entry_id = 0")
    with op.batch_alter_table("completion_member_hours", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("h_counted", sa.Numeric(precision=10, scale=2), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("completion_member_hours", schema=None) as batch_op:
        batch_op.drop_column("h_counted")
    with op.batch_alter_table("standing_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_changes_user_id"))
        batch_op.drop_index(batch_op.f("ix_standing_changes_changed_at"))
    op.drop_table("standing_changes")


def backfill(connection, now: datetime) -> list[dict]:
    """The rows of `standing_changes` the audit log accounts for, in time order (see the
    module's docstring)."""
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("category", sa.String),
        sa.column("is_elderly_exempt", sa.Boolean),
    )
    roles = sa.table(
        "role_assignments",
        sa.column("user_id", sa.Integer),
        sa.column("unit_id", sa.Integer),
        sa.column("role", sa.String),
    )
    audit = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("at", learnapp.db.UTCDateTime(timezone=True)),
        sa.column("actor_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    held: dict[int, set] = {}
    for user_id, unit_id, role in connection.execute(
        sa.select(roles.c.user_id, roles.c.unit_id, roles.c.role).where(
            roles.c.role.in_(LEADERSHIP)
        )
    ):
        held.setdefault(user_id, set()).add((role, unit_id))
    events: dict[str, list] = {}
    for event in connection.execute(
        sa.select(audit)
        .where(audit.c.target_type == "user", audit.c.action.in_(ACTIONS))
        .order_by(audit.c.at, audit.c.id)
    ):
        events.setdefault(event.target_id, []).append(event)
    rows = []
    for user_id, category, exempt in connection.execute(
        sa.select(users.c.id, users.c.category, users.c.is_elderly_exempt)
    ):
        state = (category, bool(exempt), frozenset(held.get(user_id, ())))
        rows.extend(_replay(user_id, state, events.get(str(user_id), []), now))
    rows.sort(key=lambda row: row["changed_at"])
    return rows


def _standing(state) -> tuple:
    category, exempt, roles = state
    return category, exempt, bool(roles)


def _row(user_id: int, at: datetime, actor_id, before, after) -> dict:
    return {
        "user_id": user_id,
        "changed_at": at,
        "actor_id": actor_id,
        "category_before": before[0] if before else None,
        "is_elderly_exempt_before": before[1] if before else None,
        "is_leader_before": before[2] if before else None,
        "category_after": after[0],
        "is_elderly_exempt_after": after[1],
        "is_leader_after": after[2],
    }


def _undo(state, event):
    """The state just before `event`, given the state just after it; None when the two do not
    agree (the log misses something)."""
    category, exempt, roles = state
    before, after = event.before or {}, event.after or {}
    if event.action == "member.updated":
        if after.get("category", category) != category:
            return None
        if after.get("is_elderly_exempt", exempt) != exempt:
            return None
        return (
            before.get("category", category),
            bool(before.get("is_elderly_exempt", exempt)),
            roles,
        )
    if event.action == "role.granted" and after.get("role") in LEADERSHIP:
        key = (after["role"], after.get("unit_id"))
        return (category, exempt, roles - {key}) if key in roles else None
    if event.action == "role.revoked" and before.get("role") in LEADERSHIP:
        key = (before["role"], before.get("unit_id"))
        return None if key in roles else (category, exempt, roles | {key})
    return state


def _replay(user_id: int, state, events: list, now: datetime) -> list[dict]:
    """The member's changes, read backwards from their standing now to their creation; or, when
    the log cannot account for it, one row marking where the record begins."""
    current = _standing(state)
    changes = []
    for event in reversed(events):
        if event.action == "user.created":
            created = (event.after or {}).get("category", state[0])
            if created == state[0] and not state[2]:
                return changes[::-1]  # oldest first
            break
        before = _undo(state, event)
        if before is None:
            break
        if _standing(before) != _standing(state):
            changes.append(
                _row(user_id, event.at, event.actor_id, _standing(before), _standing(state))
            )
        state = before
    return [_row(user_id, now, None, None, current)]
