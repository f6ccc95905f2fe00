"""demo-admin downloads the Excel template, uploads it with deliberately bad rows, sees exactly
which rows are wrong, uploads the fixed file and imports it."""

import io
import re
from pathlib import Path

from openpyxl import load_workbook

from tests.e2e.conftest import DESKTOP

BAD = {
    "答案": (
        "单选",
        "（演练）党章规定，党员的预备期为（  ）。",
        ["半年", "一年", "两年", "三年"],
        "E",
    ),
    "多选": (
        "多选",
        "（演练）党的纪律处分包括（  ）。",
        ["警告", "严重警告", "罚款", "开除党籍"],
        "A",
    ),
    "填空": ("填空", "（演练）党员每年集中学习培训时间一般不少于学时。", [], "32"),
}
GOOD = ("判断", "（演练）党员有权在党的会议上参加关于党的政策问题的讨论。", [], "对")


def _bank_id(page) -> int:
    page.goto("/bank/")
    href = page.locator("[data-testid=bank-list] a").first.get_attribute("href")
    return int(re.search(r"/bank/(\d+)", href).group(1))


def _workbook(template: bytes, rows) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["题目"]
    sheet.delete_rows(2, sheet.max_row)  # the example rows
    for type_, stem, options, answer in rows:
        options = options + [""] * (6 - len(options))
        sheet.append(
            [
                type_,
                stem,
                *options,
                answer,
                "",
                2,
                "党章/第一章 党员",
                "《中国共产党章程》",
                "2022-10-22",
                "",
                "演练",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(page, data: bytes):
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "题库演练.xlsx", "mimeType": "application/octet-stream", "buffer": data}],
    )
    page.click("[data-testid=check-file]")
    page.wait_for_selector("[data-testid=import-summary]")


def test_admin_fixes_bad_rows_and_imports(page, new_page, login, shot):
    login(page, "demo-admin")
    bank_id = _bank_id(page)
    page.goto(f"/bank/{bank_id}/import")
    with page.expect_download() as download:
        page.click("[data-testid=template-link]")
    template = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".xlsx")

    bad = _workbook(template, [GOOD, BAD["答案"], BAD["多选"], BAD["填空"]])
    _upload(page, bad)
    rows = page.locator("[data-testid=error-table] tbody tr")
    found = [tuple(rows.nth(i).locator("td").all_inner_texts()[:2]) for i in range(rows.count())]
    assert found == [("3", "答案"), ("4", "答案"), ("5", "题干")]
    assert page.locator("[data-testid=confirm-import]").count() == 0
    shot(page, "bank-import-errors")
    desktop = new_page(DESKTOP)
    login(desktop, "demo-admin")
    desktop.goto(f"/bank/{bank_id}/import")
    _upload(desktop, bad)
    shot(desktop, "bank-import-errors")

    fixed = _workbook(
        template,
        [
            GOOD,
            (*BAD["答案"][:3], "B"),
            (*BAD["多选"][:3], "ABD"),
            ("填空", "（演练）党员每年集中学习培训时间一般不少于____学时。", [], "32|三十二"),
        ],
    )
    _upload(page, fixed)
    assert page.locator("[data-testid=import-errors]").count() == 0
    assert "4" in page.locator("[data-testid=confirm-import]").inner_text()
    shot(page, "bank-import-ready")
    page.click("[data-testid=confirm-import]")
    page.wait_for_selector("[data-testid=import-result]")
    assert "4" in page.locator("[data-testid=import-result] h1").inner_text()
    shot(page, "bank-import-result")

    # The same file again: everything is recognised as already in the bank.
    desktop.goto(f"/bank/{bank_id}/import")
    _upload(desktop, fixed)
    assert desktop.locator("[data-testid=import-duplicates] tbody tr").count() == 4
    shot(desktop, "bank-import-duplicates")
    desktop.goto(f"/bank/{bank_id}/export")
    shot(desktop, "bank-export")
