"""ledger notes of study recorded on behalf hold the description alone

Revision ID: e3daa5fd03e5
Revises: 7b3e9d2a4c61
Create Date: 2026-12-17 09:00:00

Study a secretary recorded on a member's behalf (送学上门) was credited with the ledger note
"送学上门：<description>", so a page in English showed the Chinese words. The claim's
`is_on_behalf` flag already says what kind of record it is, and the pages now say it in the
reader's language from that flag: the notes already stored lose the prefix, only on the entries
of claims so flagged. A data migration only; the downgrade puts the prefix back.
"""

import sqlalchemy as sa
from alembic import op

revision = "e3daa5fd03e5"
down_revision = "7b3e9d2a4c61"
branch_labels = None
depends_on = None

PREFIX = "送学上门："


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "UPDATE hours_ledger SET note = substr(note, :rest)"
            " WHERE source_type = 'claim' AND source_id IN"
            " (SELECT CAST(id AS VARCHAR(64)) FROM orglife_claims WHERE is_on_behalf = :yes)"
            " AND substr(note, 1, :length) = :prefix"
        ),
        {"rest": len(PREFIX) + 1, "length": len(PREFIX), "prefix": PREFIX, "yes": True},
    )


def downgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "UPDATE hours_ledger SET note = :prefix || note"
            " WHERE source_type = 'claim' AND source_id IN"
            " (SELECT CAST(id AS VARCHAR(64)) FROM orglife_claims WHERE is_on_behalf = :yes)"
        ),
        {"prefix": PREFIX, "yes": True},
    )
