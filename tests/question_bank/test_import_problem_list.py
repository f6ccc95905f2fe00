"""A large file's problems on the import preview: the first PROBLEM_ROWS of each kind listed, the
counts exact, and every problem in a CSV the editor who checked the file downloads."""

import csv
import io
import re

import pytest

from learnapp.orgs.models import Role
from learnapp.question_bank import import_problems, importing
from learnapp.question_bank.import_problems import PROBLEM_ROWS
from tests.factories import make_user
from tests.question_bank.factories import make_bank
from tests.question_bank.import_helpers import csv_text, row, xlsx_bytes
from tests.world import build_world

LINK = re.compile(r'href="(/bank/\d+/import/problems/[^"]+\.csv)" data-testid="problems-download"')
WARNED = "只有简答题用"  # a 参考答案 on a choice question: one warning for its row


@pytest.fixture
def bank(session):
    world = build_world(session)
    make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    bank = make_bank(session, unit=world.root, two_person_review=False)
    session.commit()
    return bank


def upload(auth, bank_id, data, filename="题库.xlsx"):
    return auth.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(data), filename), "format": "auto"},
        content_type="multipart/form-data",
    )


def warned_rows(n):
    return [row(stem=f"第{i}题", 参考答案=WARNED) for i in range(n)]


def warning_rows_shown(page: str) -> int:
    table = page.split('data-testid="warning-table"')[1].split("</table>")[0]
    return table.count("<tr>") - 1  # the header row


def test_two_thousand_warnings_list_fifty_with_exact_counts_and_a_full_download(client, auth, bank):
    auth.login("admin")
    response = upload(auth, bank.id, xlsx_bytes(warned_rows(2000)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # A warning a row, and one for the file: the search for similar stems stopped early.
    assert ">2001 条提示<" in page
    assert warning_rows_shown(page) == PROBLEM_ROWS
    assert f"还有 {2001 - PROBLEM_ROWS} 条提示未在此列出。" in page
    assert "2000 道试题待导入。" in page
    download = client.get(LINK.search(page).group(1))
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "question-import-problems.csv" in download.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert lines[0] == ["类别", "行号", "列", "问题"]
    assert lines[1][:3] == ["提示", "文件", ""]
    assert [line[1] for line in lines[2:]] == [str(n) for n in range(2, 2002)]
    assert {(line[0], line[2]) for line in lines[2:]} == {("提示", "参考答案")}


def test_a_few_problems_are_all_listed_with_no_download(client, auth, bank):
    auth.login("admin")
    page = upload(auth, bank.id, xlsx_bytes(warned_rows(PROBLEM_ROWS))).get_data(as_text=True)
    assert warning_rows_shown(page) == PROBLEM_ROWS
    assert "未在此列出" not in page and "problems-download" not in page


def test_errors_and_left_out_items_are_capped_too_and_the_csv_holds_every_kind(client, auth, bank):
    auth.login("admin")
    rows = [row(stem=f"坏题{i}", answer="G") for i in range(60)] + warned_rows(3)
    response = upload(auth, bank.id, xlsx_bytes(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ">60 个问题<" in page and "还有 10 个问题未在此列出。" in page
    assert "条提示未在此列出" not in page
    lines = list(
        csv.reader(io.StringIO(client.get(LINK.search(page).group(1)).data.decode("utf-8-sig")))
    )
    kinds = [line[0] for line in lines[1:]]
    assert kinds == ["错误"] * 60 + ["提示"] * 3


def test_the_full_list_belongs_to_the_editor_who_checked_the_file(client, auth, session, bank):
    other_bank = make_bank(session, unit=bank.unit, name="另一个题库")
    session.commit()
    auth.login("admin")
    page = upload(auth, bank.id, xlsx_bytes(warned_rows(PROBLEM_ROWS + 1))).get_data(as_text=True)
    url = LINK.search(page).group(1)
    elsewhere = client.get(url.replace(f"/bank/{bank.id}/", f"/bank/{other_bank.id}/"))
    assert elsewhere.status_code == 302 and "/import" in elsewhere.headers["Location"]
    auth.logout()
    auth.login("editor")
    refused = client.get(url)
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"/bank/{bank.id}/import")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "问题清单已过期，请重新检查文件。" in page
    auth.logout()
    auth.login("mema")
    assert client.get(url).status_code == 403


def test_the_problem_list_of_a_preview_in_its_order(ctx, session):
    bank = make_bank(session)
    data = csv_text([row(stem="坏题", answer="G"), row(stem="好题", 参考答案=WARNED)]).encode()
    preview = importing.preview_import(session, bank, "t.csv", data)
    assert not import_problems.listed_in_part(preview)
    lines = list(csv.reader(io.StringIO(import_problems.problems_csv(preview).decode("utf-8-sig"))))
    assert [line[:3] for line in lines] == [
        ["Problem kind", "Row", "Column"],
        ["Error", "2", "答案"],
        ["Warning", "3", "参考答案"],
    ]
