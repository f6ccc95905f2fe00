"""Reading the audit log."""

import importlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.audit.models import AuditEntry
from learnapp.db import escape_like

PAGE_SIZE = 50
EXPORT_LIMIT = 20_000


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    target_type: str | None = None
    actor_id: int | None = None
    actor_name: str | None = None  # a user name, or part of a display name
    since: datetime | None = None
    until: datetime | None = None


def _filtered(filters: AuditFilters) -> sa.Select:
    query = sa.select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.actor_name:
        from learnapp.accounts.models import User

        pattern = f"%{escape_like(filters.actor_name)}%"
        actors = sa.select(User.id).where(
            sa.or_(
                User.username == filters.actor_name.lower(),
                User.display_name.like(pattern, escape="\\"),
            )
        )
        query = query.where(AuditEntry.actor_id.in_(actors))
    if filters.since:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.at < filters.until)
    return query


def _newest_first(query: sa.Select) -> sa.Select:
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def search_entries(
    session: Session, filters: AuditFilters, *, page: int = 1
) -> tuple[list[AuditEntry], int]:
    """Newest first, filtered; returns one page and the total count."""
    query = _filtered(filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        _newest_first(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def export_entries(session: Session, filters: AuditFilters) -> list[AuditEntry]:
    """The filtered entries for a download, newest first, at most EXPORT_LIMIT of them."""
    return list(session.scalars(_newest_first(_filtered(filters)).limit(EXPORT_LIMIT)))


def distinct_actions(session: Session) -> list[str]:
    return list(
        session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def distinct_target_types(session: Session) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)
        )
    )


# Target types whose name is one cheap lookup: type -> (model, name attribute).
NAMED_TARGETS = {
    "user": ("learnapp.accounts.models:User", "display_name"),
    "unit": ("learnapp.orgs.models:Unit", "name"),
    "course": ("learnapp.courses.models:Course", "title"),
    "quiz": ("learnapp.quizzes.models:Quiz", "title"),
    "question_bank": ("learnapp.question_bank.models:QuestionBank", "name"),
    "meeting": ("learnapp.orglife.models:Meeting", "title"),
}


def _model(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class TargetName(NamedTuple):
    name: str
    exists: bool  # False: the object is gone, and the name is the one its entries recorded


def _recorded_name(entry: AuditEntry, attribute: str) -> str | None:
    for state in (entry.before, entry.after):
        if isinstance(state, dict) and isinstance(state.get(attribute), str):
            return state[attribute]
    return None


def target_names(session: Session, entries: list[AuditEntry]) -> dict[tuple[str, str], TargetName]:
    """Names of the entries' targets where NAMED_TARGETS knows them: one query per type. A
    target that no longer exists (a deleted unit) keeps the name its newest entry recorded in
    its before- or after-state."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.target_type in NAMED_TARGETS and entry.target_id.isdigit():
            wanted[entry.target_type].add(int(entry.target_id))
    names = {}
    for target_type, ids in wanted.items():
        target, attribute = NAMED_TARGETS[target_type]
        model = _model(target)
        rows = session.execute(
            sa.select(model.id, getattr(model, attribute)).where(model.id.in_(ids))
        )
        names.update({(target_type, str(row_id)): TargetName(name, True) for row_id, name in rows})
    for entry in entries:  # newest first: the last name recorded wins
        key = (entry.target_type, entry.target_id)
        if entry.target_type in wanted and key not in names:
            recorded = _recorded_name(entry, NAMED_TARGETS[entry.target_type][1])
            if recorded is not None:
                names[key] = TargetName(recorded, False)
    return names
