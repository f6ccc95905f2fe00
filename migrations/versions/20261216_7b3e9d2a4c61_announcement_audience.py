"""an announcement's audience at publication, and the unit a receipt was read in

Revision ID: 7b3e9d2a4c61
Revises: 8ed0d56a3b13
Create Date: 2026-12-16 09:00:00

Read receipts counted only the members active and inside the unit now: a reader who was then
disabled or moved out vanished from the receipts, and members who joined later counted as not
having read it. `announcement_recipients` freezes who was meant to read an announcement;
`announcement_reads.unit_id` keeps the unit a reader was in when they read it.

Announcements already published: their audience is the members notified when each was published
(the notification of an announcement is mandatory, so nobody muted it); receipts already stored
take the reader's unit now, the nearest record there is. Withdrawing an announcement now marks
its unread notifications read; those of announcements withdrawn before are marked read as of
their withdrawal.
"""

import sqlalchemy as sa
from alembic import op

revision = "7b3e9d2a4c61"
down_revision = "8ed0d56a3b13"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_announcement_reads_unit_id_units"


def upgrade() -> None:
    op.create_table(
        "announcement_recipients",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_recipients_announcement_id_announcements"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_announcement_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "announcement_id", "user_id", name=op.f("pk_announcement_recipients")
        ),
    )
    with op.batch_alter_table("announcement_reads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f(FOREIGN_KEY), "units", ["unit_id"], ["id"])

    announcements = sa.table(
        "announcements",
        sa.column("id", sa.Integer),
        sa.column("published_at", sa.DateTime),
        sa.column("withdrawn_at", sa.DateTime),
    )
    notifications = sa.table(
        "notifications",
        sa.column("user_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("link", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("read_at", sa.DateTime),
    )
    link = sa.literal("/announcements/") + sa.cast(announcements.c.id, sa.String)
    recipients = sa.table(
        "announcement_recipients",
        sa.column("announcement_id", sa.Integer),
        sa.column("user_id", sa.Integer),
    )
    notified = (
        sa.select(announcements.c.id, notifications.c.user_id)
        .join(
            notifications,
            sa.and_(
                notifications.c.kind == "announcement",
                notifications.c.link == link,
                notifications.c.created_at == announcements.c.published_at,
            ),
        )
        .distinct()
    )
    op.execute(sa.insert(recipients).from_select(["announcement_id", "user_id"], notified))

    withdrawn_at = (
        sa.select(announcements.c.withdrawn_at)
        .where(announcements.c.withdrawn_at.is_not(None), notifications.c.link == link)
        .scalar_subquery()
    )
    op.execute(
        sa.update(notifications)
        .where(notifications.c.read_at.is_(None), withdrawn_at.is_not(None))
        .values(read_at=withdrawn_at)
    )

    reads = sa.table(
        "announcement_reads", sa.column("user_id", sa.Integer), sa.column("unit_id", sa.Integer)
    )
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("unit_id", sa.Integer))
    op.execute(
        sa.update(reads).values(
            unit_id=sa.select(users.c.unit_id)
            .where(users.c.id == reads.c.user_id)
            .scalar_subquery()
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("announcement_reads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(FOREIGN_KEY), type_="foreignkey")
        batch_op.drop_column("unit_id")
    op.drop_table("announcement_recipients")
