"""The 学时统计 summary by unit: the rows of the dashboards of the exported unit and of every unit
below it, in one table.

Each unit below the exported one has a line with the figures of its row on the dashboard of the
unit above it: the unit together with every unit below it. A unit with units below it is
followed by their lines and, when members sit in it directly, by its "directly in" line, as on
its own dashboard; the last line is the exported unit's total, its dashboard's headline. Units
are named by their path below the exported unit ("机关党总支 / 机关第一党支部 / 第一党小组"), so
two 第一党小组 of different branches are told apart. Lines come in tree order: a unit, then the
units below it, siblings by id (db.path_key: the order of the member rows).

Every figure comes from the dashboard's grouped query (queries.unit_tallies): the same members
(those of the year), counts by status and shown hours. Totals are computed values, never
spreadsheet formulas.
"""

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.completion.queries import Filters, Frame, Tally, unit_tallies
from learnapp.db import path_key, within_path
from learnapp.orgs.models import Unit

PATH_SEPARATOR = " / "


class LineKind(enum.StrEnum):
    UNIT = "unit"  # a unit without units below it: its members
    WITH_UNITS_BELOW = "with_units_below"  # a unit and every unit below it
    DIRECT = "direct"  # the members sitting in a unit that has units below it
    TOTAL = "total"  # the whole exported subtree


@dataclass(frozen=True)
class SummaryLine:
    kind: LineKind
    name: str  # the unit's path below the exported unit (the exported unit's name for its own
    # direct members); "" for the total
    tally: Tally


@dataclass(frozen=True)
class UnitNode:
    id: int
    path: str
    name: str
    is_active: bool


def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def unit_labels(units: dict[int, UnitNode], top: UnitNode) -> dict[int, str]:
    """Each unit's name with those of its ancestors below `top` ("A / B / C"); `top`'s own
    name for `top`."""
    depth = len(_ids(top.path))
    labels = {}
    for unit in units.values():
        below = _ids(unit.path)[depth:]
        names = [units[i].name for i in below if i in units]
        labels[unit.id] = PATH_SEPARATOR.join(names) if names else top.name
    return labels


def lines_for(units: dict[int, UnitNode], top_id: int, tallies: dict[int, Tally]):
    """The summary lines of `top_id`'s subtree (`units`: every unit of it) from the tallies of
    the units members are counted in. As on the dashboards: a unit's line covers its whole
    subtree; the units listed below a unit are its active children and any deactivated child
    holding members of the year; its "directly in" line is what its subtree holds beyond them."""
    top = units[top_id]
    labels = unit_labels(units, top)
    subtree: dict[int, Tally] = {unit_id: Tally() for unit_id in units}
    for unit_id, tally in tallies.items():
        unit = units.get(unit_id)
        for ancestor in _ids(unit.path if unit else top.path):
            if ancestor in subtree:
                subtree[ancestor].absorb(tally)
    children: dict[int, list[UnitNode]] = {}
    for unit in sorted(units.values(), key=lambda u: path_key(u.path)):
        parent_ids = _ids(unit.path)[:-1]
        listed = unit.is_active or subtree[unit.id].members
        if unit.id != top_id and listed and parent_ids:
            children.setdefault(parent_ids[-1], []).append(unit)
    lines: list[SummaryLine] = []

    def walk(unit: UnitNode) -> None:
        below = children.get(unit.id, [])
        if unit.id != top_id:
            kind = LineKind.WITH_UNITS_BELOW if below else LineKind.UNIT
            lines.append(SummaryLine(kind, labels[unit.id], subtree[unit.id]))
        for child in below:
            walk(child)
        if below:
            direct = Tally()
            direct.absorb(subtree[unit.id])
            for child in below:
                direct.take_out(subtree[child.id])
            if direct.members:
                lines.append(SummaryLine(LineKind.DIRECT, labels[unit.id], direct))

    walk(top)
    lines.append(SummaryLine(LineKind.TOTAL, "", subtree[top_id]))
    return lines


def subtree_units(session: Session, unit: Unit) -> dict[int, UnitNode]:
    return {
        row.id: UnitNode(row.id, row.path, row.name, row.is_active)
        for row in session.execute(
            sa.select(Unit.id, Unit.path, Unit.name, Unit.is_active).where(
                within_path(Unit.path, unit.path)
            )
        )
    }


def summary_lines(
    session: Session, unit: Unit, frame: Frame, filters: Filters
) -> list[SummaryLine]:
    """The summary of `unit`'s subtree for the year and filters (see the module's docstring)."""
    return lines_for(
        subtree_units(session, unit), unit.id, unit_tallies(session, unit, frame, filters)
    )
