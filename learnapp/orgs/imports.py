"""Bulk member import from xlsx or CSV: a preview listing every bad cell, then all or nothing."""

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.accounts.services.users import create_user, normalize_username, username_problem
from learnapp.audit.services import record
from learnapp.orgs.models import BRANCH_KINDS, MemberCategory, Unit, UnitKind
from learnapp.orgs.queries import subtree_units
from learnapp.tabular import (
    NOTES_SHEET,
    Table,
    looks_like_formula,
    other_sheets_message,
    write_xlsx_sheet,
)

COLUMNS = ("姓名", "用户名", "所在组织", "党员类别", "手机号", "流动党员", "离退休", "年老体弱")
REQUIRED = ("姓名", "用户名", "所在组织", "党员类别")
# The names the import page once headed these columns with: a file typed against it still reads.
HEADER_ALIASES = {"所属组织": "所在组织", "人员类别": "党员类别"}
CATEGORY_NAMES = {
    "正式党员": MemberCategory.FULL,
    "预备党员": MemberCategory.PROBATIONARY,
    "发展对象": MemberCategory.CANDIDATE,
    "入党积极分子": MemberCategory.ACTIVIST,
    "群众": MemberCategory.MASSES,
}
YES = {"是", "y", "yes", "1", "true", "√"}
NO = {"", "否", "n", "no", "0", "false", "×"}
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class MemberRow:
    row: int
    display_name: str
    username: str
    unit: Unit
    category: MemberCategory
    phone: str | None
    is_mobile: bool
    is_retired: bool
    is_elderly_exempt: bool


@dataclass
class ImportPreview:
    rows: list[MemberRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors and bool(self.rows)


def _flag(value: str, row: int, column: str, errors: list[RowError]) -> bool:
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered not in NO:
        errors.append(RowError(row, column, _l("Write 是 or 否.")))
    return False


def _row_reader(cells: list[str], index: dict[str, int]):
    def cell(name: str) -> str:
        position = index.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    return cell


def _units_by_name(session: Session, root: Unit) -> dict[str, list[Unit]]:
    """The branches and groups of `root`'s subtree (the units a row may name), by name, in
    tree order."""
    units_by_name: dict[str, list[Unit]] = {}
    for unit in subtree_units(session, root):
        if unit.kind in BRANCH_KINDS or unit.kind == UnitKind.GROUP:
            units_by_name.setdefault(unit.name, []).append(unit)
    return units_by_name


def _is_formula(name: str, value: str) -> bool:
    # A phone number may start with + (+86 …); anything else formula-like is refused.
    if name == "手机号":
        return looks_like_formula(value) and not PHONE.match(value)
    return looks_like_formula(value)


def preview_members(session: Session, root: Unit, table: Table) -> ImportPreview:
    """Check every row against the rules and the database; store nothing."""
    preview = ImportPreview()
    if table.other_sheets:
        preview.warnings.append(other_sheets_message(table))
    header = [HEADER_ALIASES.get(name, name) for name in table.header]
    for name in COLUMNS:
        given = [raw for raw, read in zip(table.header, header, strict=True) if read == name]
        if len(given) > 1:
            preview.file_errors.append(
                _l(
                    "The columns %(cols)s are all the column %(name)s: keep one of them.",
                    cols="、".join(given),
                    name=name,
                )
            )
    if preview.file_errors:
        return preview
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        preview.file_errors.append(
            _l(
                "Missing columns: %(cols)s. Download the template for the expected header.",
                cols="、".join(missing),
            )
        )
        return preview
    index = {name: header.index(name) for name in COLUMNS if name in header}
    units_by_name = _units_by_name(session, root)
    usernames = [
        normalize_username(cells[index["用户名"]]) if index["用户名"] < len(cells) else ""
        for _, cells in table.rows
    ]
    taken = set(
        session.scalars(
            sa.select(User.username).where(User.username.in_([u for u in usernames if u]))
        )
    )
    seen: dict[str, int] = {}
    for (number, cells), username in zip(table.rows, usernames, strict=True):
        errors: list[RowError] = []

        cell = _row_reader(cells, index)

        formulas = [name for name in COLUMNS if _is_formula(name, cell(name))]
        for name in formulas:
            errors.append(RowError(number, name, _l("A cell may not start with =, +, - or @.")))
        display_name = cell("姓名")
        if not display_name:
            errors.append(RowError(number, "姓名", _l("A name is required.")))
        elif len(display_name) > 64:
            errors.append(RowError(number, "姓名", _l("At most %(n)d characters.", n=64)))
        problem = username_problem(username)
        if problem:
            errors.append(RowError(number, "用户名", problem))
        elif username in taken:
            errors.append(
                RowError(number, "用户名", _l("A member with this user name already exists."))
            )
        elif username in seen:
            errors.append(
                RowError(number, "用户名", _l("Same user name as row %(n)d.", n=seen[username]))
            )
        seen.setdefault(username, number)
        unit_name = cell("所在组织")
        candidates = units_by_name.get(unit_name, [])
        if not candidates:
            errors.append(
                RowError(
                    number,
                    "所在组织",
                    _l(
                        "No branch or party group named “%(name)s” in %(root)s.",
                        name=unit_name[:50],
                        root=root.name,
                    ),
                )
            )
        elif len(candidates) > 1:
            errors.append(
                RowError(number, "所在组织", _l("Several units have this name; rename one first."))
            )
        elif not candidates[0].is_active:
            errors.append(
                RowError(
                    number,
                    "所在组织",
                    _l("%(target)s is deactivated: choose another unit.", target=unit_name[:50]),
                )
            )
        category = CATEGORY_NAMES.get(cell("党员类别"))
        if category is None:
            errors.append(
                RowError(
                    number,
                    "党员类别",
                    _l("Use one of: %(names)s.", names="、".join(CATEGORY_NAMES)),
                )
            )
        phone = cell("手机号")
        if phone and "手机号" not in formulas and not PHONE.match(phone):
            errors.append(RowError(number, "手机号", _l("Not a phone number.")))
        flags = [
            _flag(cell(name), number, name, errors) for name in ("流动党员", "离退休", "年老体弱")
        ]
        if errors:
            preview.errors.extend(errors)
            continue
        preview.rows.append(
            MemberRow(
                number, display_name, username, candidates[0], category, phone or None, *flags
            )
        )
    if not table.rows:
        preview.file_errors.append(_l("The file has no member rows."))
    return preview


def commit_members(
    session: Session, actor: User, root: Unit, preview: ImportPreview, now: datetime, filename: str
) -> int:
    """Create every member of a clean preview in the caller's transaction (all or nothing)."""
    for row in preview.rows:
        create_user(
            session,
            actor,
            username=row.username,
            display_name=row.display_name,
            unit=row.unit,
            category=row.category,
            phone=row.phone,
            is_mobile=row.is_mobile,
            is_retired=row.is_retired,
            is_elderly_exempt=row.is_elderly_exempt,
            now=now,
        )
    record(
        session,
        actor,
        "members.imported",
        "unit",
        root.id,
        now=now,
        after={"file": filename[:200], "count": len(preview.rows)},
    )
    return len(preview.rows)


def example_unit_name(session: Session, root: Unit) -> str:
    """The 所在组织 of the template's example row: the first active branch or group under `root`
    that a row can name (its name unique there), so that the example is one the import accepts;
    a placeholder that reads as one when there is none."""
    for name, units in _units_by_name(session, root).items():
        if len(units) == 1 and units[0].is_active:
            return name
    return "（示例）请填写党支部或党小组名称"


def template_workbook(unit_name: str) -> bytes:
    """The import template; its example row names `unit_name` (see example_unit_name)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "成员"
    write_xlsx_sheet(
        sheet,
        list(COLUMNS),
        [["张三", "zhangsan01", unit_name, "正式党员", "13800000000", "否", "否", "否"]],
    )
    notes = workbook.create_sheet(NOTES_SHEET)
    write_xlsx_sheet(
        notes,
        ["列", "说明"],
        [
            ["姓名", "必填，最多64字"],
            ["用户名", "必填，登录名：3–64位小写字母、数字、点、连字符或下划线，不可重复"],
            ["所在组织", "必填，本组织下的党支部或党小组名称"],
            ["党员类别", "必填：" + "、".join(CATEGORY_NAMES)],
            ["手机号", "选填"],
            ["流动党员 / 离退休 / 年老体弱", "填“是”或“否”，留空视为“否”"],
            ["示例行", "第2行是示例，导入前请替换或删除，否则会作为真实成员导入"],
            ["注意", "单元格不能以 = + - @ 开头；整批导入，任何一行有误都不会导入"],
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
