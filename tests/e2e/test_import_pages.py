"""demo-admin uploads the member template as downloaded and reads its preview under the
template's own column names; then checks a question file with a warning on every question and
sees the first fifty, how many more there are, and downloads them all."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

# {true} in lower case is a short answer in GIFT: a warning for each question.
GIFT = "\n\n".join(f"（演练提示）第{n}条：党员应当履行义务 {{true}}" for n in range(80))


def test_the_member_preview_is_headed_as_the_template(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-admin")
    page.goto("/units")
    page.get_by_test_id("unit-tree").get_by_role(
        "link", name=re.compile("机关党总支")
    ).first.click()
    page.get_by_role("link", name="导入成员").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("template-link").click()
    template = Path(download_info.value.path())
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "成员.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": template.read_bytes(),
            }
        ],
    )
    page.get_by_role("button", name="检查文件").click()
    ready = page.get_by_test_id("import-ready")
    expect(ready.locator("thead th")).to_have_text(
        ["行号", "姓名", "用户名", "所在组织", "党员类别"]
    )
    shot(page, "member-import-preview")


def test_a_file_of_many_warnings_lists_fifty_and_downloads_them_all(new_page):
    page = new_page(PHONE)
    login(page, "demo-admin")
    page.goto("/bank/")
    page.locator("[data-testid=bank-list] a").first.click()
    page.get_by_test_id("import-link").click()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "提示.gift", "mimeType": "text/plain", "buffer": GIFT.encode()}],
    )
    page.click("[data-testid=check-file]")
    page.wait_for_selector("[data-testid=import-summary]")
    count = int(re.search(r"\d+", page.locator(".badge.text-bg-info").inner_text()).group())
    assert count >= 80
    expect(page.locator("[data-testid=warning-table] tbody tr")).to_have_count(50)
    expect(page.get_by_test_id("warning-table-more")).to_contain_text(
        f"还有 {count - 50} 条提示未在此列出"
    )
    shot(page, "bank-import-many-warnings")
    with page.expect_download() as download_info:
        page.get_by_test_id("problems-download").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["类别", "行号", "列", "问题"]
    assert len(lines) == count + 1 and {line[0] for line in lines[1:]} == {"提示"}
