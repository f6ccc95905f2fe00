"""The hand-out sheet of issued initial passwords, as xlsx or CSV (formula-safe: tabular)."""

import io
from datetime import datetime

from flask import Response
from flask_babel import format_datetime
from flask_babel import gettext as _

from learnapp.accounts.models import User
from learnapp.tabular import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_bytes,
    download,
    write_xlsx_sheet,
)

CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "csv": CSV_CONTENT_TYPE}


def _table(issued: list[tuple[User, str]]) -> tuple[list[str], list[list[str]]]:
    header = [_("Name"), _("User name"), _("Unit"), _("Initial password")]
    rows = [
        [user.display_name, user.username, user.unit.name if user.unit else "", password]
        for user, password in issued
    ]
    return header, rows


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Initial passwords")[:31]
    write_xlsx_sheet(sheet, header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def initial_passwords_download(
    issued: list[tuple[User, str]], file_format: str, generated_at: datetime
) -> Response:
    """The only copy of the passwords: sent as an attachment, never cached."""
    header, rows = _table(issued)
    data = _xlsx(header, rows) if file_format == "xlsx" else b"".join(csv_bytes(header, rows))
    filename = (
        f"{_('Initial passwords')}-{format_datetime(generated_at, 'yyyyMMdd-HHmm')}.{file_format}"
    )
    return download(
        data,
        content_type=CONTENT_TYPES[file_format],
        filename=filename,
        ascii_filename=f"initial-passwords.{file_format}",
    )
