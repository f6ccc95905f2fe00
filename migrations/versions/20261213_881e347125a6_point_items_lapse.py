"""积分 items still pending in periods whose dossiers are frozen lapse

Revision ID: 881e347125a6
Revises: 5e8c1a7d3b26
Create Date: 2026-12-13 09:30:00

An item still pending when the dossiers were frozen could no longer be decided, and stayed
pending for good. It now lapses then (`lapsed`, a new value of the state column, which keeps
its type); those already stranded lapse here, as of their period's freeze, each with the audit
entry the platform writes for a lapse.
"""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import learnapp.db

revision = "881e347125a6"
down_revision = "5e8c1a7d3b26"
branch_labels = None
depends_on = None

# The steps at which items are still decided (assessments.points.POINT_STEPS).
POINT_STEPS = ("draft", "self_appraisal", "peer_review", "evaluation")

items = sa.table(
    "assessment_point_items",
    sa.column("id", sa.Integer),
    sa.column("period_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("points"),
    sa.column("state", sa.String),
    sa.column("decided_at", learnapp.db.UTCDateTime(timezone=True)),
)
periods = sa.table(
    "assessment_periods",
    sa.column("id", sa.Integer),
    sa.column("step", sa.String),
    sa.column("frozen_at", learnapp.db.UTCDateTime(timezone=True)),
)
audit = sa.table(
    "audit_entries",
    sa.column("at", learnapp.db.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("ip", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    stranded = connection.execute(
        sa.select(items.c.id, items.c.kind, items.c.points, periods.c.frozen_at)
        .join(periods, items.c.period_id == periods.c.id)
        .where(items.c.state == "pending", periods.c.step.not_in(POINT_STEPS))
        .order_by(items.c.id)
    ).all()
    for item_id, _kind, _points, frozen_at in stranded:
        connection.execute(
            sa.update(items)
            .where(items.c.id == item_id)
            .values(state="lapsed", decided_at=frozen_at or now)
        )
    if stranded:
        op.bulk_insert(
            audit,
            [
                {
                    "at": now,
                    "actor_id": None,
                    "action": "assessment.points_lapse",
                    "target_type": "assessment_point_item",
                    "target_id": str(item_id),
                    "before": {"state": "pending"},
                    "after": {
                        "state": "lapsed",
                        "points": f"{Decimal(str(points)):.2f}",
                        "kind": kind,
                    },
                    "ip": None,
                }
                for item_id, kind, points, _frozen_at in stranded
            ],
        )


def downgrade() -> None:
    # Before this revision an item could only be pending, approved or rejected.
    connection = op.get_bind()
    connection.execute(
        sa.update(items).where(items.c.state == "lapsed").values(state="pending", decided_at=None)
    )
