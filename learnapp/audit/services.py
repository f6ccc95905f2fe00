"""Recording privileged actions."""

from datetime import datetime

from sqlalchemy.orm import Session

from learnapp.audit.models import AuditEntry


def record(
    session: Session,
    actor,
    action: str,
    target_type: str,
    target_id,
    *,
    now: datetime,
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction, so it commits with the action."""
    entry = AuditEntry(
        at=now,
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry
