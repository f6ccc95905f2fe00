"""Reading the audit log."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.audit.models import AuditEntry

PAGE_SIZE = 50


def search_entries(
    session: Session,
    *,
    action: str | None = None,
    target_type: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> tuple[list[AuditEntry], int]:
    """Newest first, filtered; returns one page and the total count."""
    query = sa.select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def distinct_actions(session: Session) -> list[str]:
    return list(
        session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
