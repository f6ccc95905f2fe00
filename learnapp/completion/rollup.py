"""Keeping the per-member, per-year rollup of the ledger (completion.models) up to date.

`refresh` adds the ledger entries after the watermark to the rollup and moves the watermark, in
one transaction; run again it adds nothing (idempotent). It stops at the newest entry created
more than LAG ago: an entry with a smaller id that was still uncommitted would belong to a
transaction open that long, which no request or job of this application holds. `rebuild`
recomputes everything from the ledger.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.completion.models import (
    CATEGORY_COLUMNS,
    COUNTED_COLUMN,
    HOURS_COLUMNS,
    MemberYearHours,
    RollupState,
)
from learnapp.hours.models import LedgerEntry
from learnapp.hours.queries import counting_rules, counts_toward_target
from learnapp.jobs import Summary

LAG = timedelta(minutes=10)
BATCH = 5_000


def _insert(session: Session, model):
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _state(session: Session) -> RollupState:
    session.execute(
        _insert(session, RollupState).values(id=1, last_entry_id=0).on_conflict_do_nothing()
    )
    return session.scalar(sa.select(RollupState).where(RollupState.id == 1).with_for_update())


def _sums(session: Session, first_excluded: int, last_included: int):
    counted = counts_toward_target(counting_rules(session))
    return (
        sa.select(
            LedgerEntry.member_id,
            LedgerEntry.year,
            *(
                sa.func.sum(
                    sa.case((LedgerEntry.category == category, LedgerEntry.hours), else_=0)
                ).label(column)
                for category, column in CATEGORY_COLUMNS.items()
            ),
            sa.func.sum(sa.case((counted, LedgerEntry.hours), else_=0)).label(COUNTED_COLUMN),
        )
        .where(LedgerEntry.id > first_excluded, LedgerEntry.id <= last_included)
        .group_by(LedgerEntry.member_id, LedgerEntry.year)
    )


def _add(session: Session, rows: list[dict]) -> None:
    statement = _insert(session, MemberYearHours)
    statement = statement.on_conflict_do_update(
        index_elements=["member_id", "year"],
        set_={
            column: getattr(MemberYearHours, column) + getattr(statement.excluded, column)
            for column in HOURS_COLUMNS
        },
    )
    session.execute(statement, rows)


def refresh(session: Session, now: datetime) -> Summary:
    """Fold the ledger entries after the watermark into the rollup (the scheduled job)."""
    state = _state(session)
    upper = session.scalar(
        sa.select(sa.func.max(LedgerEntry.id)).where(
            LedgerEntry.id > state.last_entry_id, LedgerEntry.created_at < now - LAG
        )
    )
    if upper is None:
        return Summary("up_to_date", {"entry": state.last_entry_id})
    batch, members = [], 0
    for row in session.execute(_sums(session, state.last_entry_id, upper)).mappings():
        batch.append({**row, **{c: Decimal(row[c] or 0) for c in HOURS_COLUMNS}})
        if len(batch) >= BATCH:
            _add(session, batch)
            members += len(batch)
            batch = []
    if batch:
        _add(session, batch)
        members += len(batch)
    added = upper - state.last_entry_id
    state.last_entry_id = upper
    state.refreshed_at = now
    session.flush()
    return Summary("rolled_up", {"entry": upper, "entries": added, "member_years": members})


def rebuild(session: Session, now: datetime) -> Summary:
    """Recompute the rollup from the whole ledger."""
    state = _state(session)
    session.execute(sa.delete(MemberYearHours))
    state.last_entry_id = 0
    session.flush()
    return refresh(session, now)


def watermark(session: Session) -> int:
    return session.scalar(sa.select(RollupState.last_entry_id).where(RollupState.id == 1)) or 0
