"""The 学时统计 summary by unit: one line per unit with members, in tree order; over a 党委 or
a 党总支, a subtotal after the units of each 党总支 below the exported unit and a grand total at
the end. A branch's summary has neither: it is its units' lines alone.

Every line is the dashboard's `Tally` (counts by status, hours), summed from the same grouped
query, so a 党总支's subtotal is the figure of its row on the dashboard above it. Subtotals are
computed values, never spreadsheet formulas.
"""

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.completion.queries import Filters, Frame, Tally, member_table
from learnapp.completion.status import Status
from learnapp.db import within_path
from learnapp.orgs.models import Unit, UnitKind

# The exported units whose summary ends with a grand total: those above the branches.
TOTALLED_KINDS = frozenset({UnitKind.COMMITTEE, UnitKind.GENERAL_BRANCH})


class LineKind(enum.StrEnum):
    UNIT = "unit"
    SUBTOTAL = "subtotal"  # a 党总支 with every unit below it
    TOTAL = "total"  # the whole exported subtree


@dataclass(frozen=True)
class UnitLine:
    path: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class SummaryLine:
    kind: LineKind
    name: str  # the unit's, the 党总支's for a subtotal, "" for the total
    tally: Tally


def merged(tallies) -> Tally:
    """One tally of several: counts by status and hours added up."""
    total = Tally()
    for tally in tallies:
        for status, count in tally.counts.items():
            total.counts[status] += count
        total.hours += tally.hours
    return total


def _general_of(path: str, generals: dict[str, str]) -> str | None:
    """The path of the 党总支 among `generals` that `path` lies in (党总支 do not nest)."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:depth]) + "/"
        if prefix in generals:
            return prefix
    return None


def with_subtotals(
    units: list[UnitLine], generals: dict[str, str], *, total: bool
) -> list[SummaryLine]:
    """The unit lines (in path order, so a 党总支's subtree is one run of lines), each run under
    a 党总支 of `generals` (path → name) followed by its subtotal, then the grand total if
    `total`."""
    lines: list[SummaryLine] = []
    run: list[UnitLine] = []
    run_general: str | None = None

    def close_run() -> None:
        if run_general is not None and run:
            lines.append(
                SummaryLine(LineKind.SUBTOTAL, generals[run_general], merged(u.tally for u in run))
            )

    for unit in units:
        general = _general_of(unit.path, generals)
        if general != run_general:
            close_run()
            run, run_general = [], general
        run.append(unit)
        lines.append(SummaryLine(LineKind.UNIT, unit.name, unit.tally))
    close_run()
    if total:
        lines.append(SummaryLine(LineKind.TOTAL, "", merged(u.tally for u in units)))
    return lines


def summary_lines(
    session: Session, unit: Unit, frame: Frame, filters: Filters
) -> list[SummaryLine]:
    """The summary of `unit`'s subtree: counted hours, counts by status per unit where members
    sit; subtotals for the 党总支 below `unit` and a total when `unit` is above the branches."""
    members = member_table(unit, frame, filters, detail=False)
    tallies: dict[int, Tally] = {}
    for unit_id, status, count, hours in session.execute(
        sa.select(
            members.c.unit_id, members.c.status, sa.func.count(), sa.func.sum(members.c.counted)
        ).group_by(members.c.unit_id, members.c.status)
    ):
        tallies.setdefault(unit_id, Tally()).add(Status(status), count, hours)
    if not tallies:
        return []
    rows = session.execute(
        sa.select(Unit.id, Unit.path, Unit.name, Unit.kind).where(
            within_path(Unit.path, unit.path),
            sa.or_(Unit.id.in_(list(tallies)), Unit.kind == UnitKind.GENERAL_BRANCH),
        )
    ).all()
    # Sorted here, by code point: a subtree is one run of paths whatever the database's collation.
    units = sorted(
        (
            UnitLine(path, name, tallies[unit_id])
            for unit_id, path, name, _kind in rows
            if unit_id in tallies
        ),
        key=lambda line: line.path,
    )
    generals = {
        path: name
        for unit_id, path, name, kind in rows
        if kind == UnitKind.GENERAL_BRANCH and unit_id != unit.id
    }
    return with_subtotals(units, generals, total=unit.kind in TOTALLED_KINDS)
