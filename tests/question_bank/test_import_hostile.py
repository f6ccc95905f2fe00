"""Hostile and odd files through the import service and page: each is refused with a message
that says what to fix (or read as meant), nothing is stored, and nothing fails with a 500."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from learnapp.question_bank import importing
from learnapp.question_bank.formats.sheet import COLUMNS
from learnapp.question_bank.models import Question
from tests.question_bank.factories import make_bank
from tests.question_bank.import_helpers import messages, row
from tests.world import build_world

MB = 1024 * 1024


def check(session, filename: str, data: bytes):
    return importing.preview_import(session, make_bank(session), filename, data)


def workbook(rows, merges=()) -> bytes:
    book = Workbook()
    for values in rows:
        book.active.append(values)
    for cells in merges:
        book.active.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.usefixtures("ctx")
class TestService:
    def test_a_gift_file_of_one_ten_megabyte_question_is_refused(self, session):
        data = ("::Q:: " + "党" * (10 * MB // 3 - 100) + " {=对 ~错}").encode()
        assert len(data) < importing.max_bytes()
        preview = check(session, "big.gift", data)
        assert messages(preview.errors) == ["The question text has more than 2000 characters."]
        assert preview.items == []

    def test_a_gift_answer_block_of_a_million_answers_is_refused_at_once(self, session):
        data = ("Q {=a " + " ".join(f"~o{n}" for n in range(1_000_000)) + "}").encode()
        preview = check(session, "many.gift", data)
        assert messages(preview.errors) == [
            "More than 100 answers in one answer block: no question type of the bank holds "
            "that many."
        ]

    def test_a_hundred_answers_still_read_as_a_question_with_too_many_options(self, session):
        data = ("Q {=a " + " ".join(f"~o{n}" for n in range(99)) + "}").encode()
        assert messages(check(session, "many.gift", data).errors) == [
            "Options: between 2 and 8 needed."
        ]

    @pytest.mark.parametrize(
        "text",
        [
            "Q " + "{" * 100_000 + "}" * 100_000,
            "Q {=a " + "{" * 100_000 + " ~b}",
            "Q {=a ~b " + "\\{" * 100_000 + "}",
        ],
    )
    def test_deeply_nested_braces_give_one_error_for_their_question(self, session, text):
        preview = check(session, "nested.gift", text.encode())
        assert len(preview.errors) == 1 and preview.errors[0].line == 1
        assert preview.items == []

    def test_an_aiken_question_of_two_hundred_options_is_refused(self, session):
        options = "\n".join(f"{chr(65 + n % 26)}) 选项{n}" for n in range(200))
        preview = check(session, "q.txt", f"问题？\n{options}\nANSWER: A\n".encode())
        assert preview.format == "aiken"
        assert messages(preview.errors) == ["Options: between 2 and 8 needed."]

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
    def test_a_csv_with_a_bom_and_bare_carriage_returns_reads_every_row(self, session, encoding):
        lines = [",".join(COLUMNS), ",".join(row(stem="第一题")), ",".join(row(stem="第二题"))]
        data = ("\r".join(lines) + "\r").encode(encoding)
        preview = check(session, "q.csv", data)
        assert preview.errors == []
        assert [(item.line, item.draft.stem) for item in preview.items] == [
            (2, "第一题"),
            (3, "第二题"),
        ]

    def test_an_xlsx_with_merged_header_cells_is_refused_naming_them(self, session):
        data = workbook([list(COLUMNS), row()], merges=["C1:F1"])
        preview = check(session, "q.xlsx", data)
        assert messages(preview.errors) == [
            "The first sheet has merged cells (C1:F1): unmerge them, give every cell its own "
            "value and upload the file again."
        ]

    def test_merged_cells_down_a_column_are_refused_too(self, session):
        rows = [list(COLUMNS), row(stem="一", 知识点="党章"), row(stem="二")]
        rows[2][0] = rows[2][COLUMNS.index("知识点")] = ""
        preview = check(session, "q.xlsx", workbook(rows, merges=["A2:A3", "L2:L3"]))
        assert "(A2:A3、L2:L3)" in messages(preview.errors)[0] and preview.items == []

    def test_a_column_with_data_and_no_header_is_refused(self, session):
        header = list(COLUMNS)
        header[COLUMNS.index("选项C")] = ""
        preview = check(session, "q.xlsx", workbook([header, row()]))
        assert [(p.line, p.column) for p in preview.errors] == [(1, "E")]
        assert "has no header" in messages(preview.errors)[0]


def test_hostile_files_through_the_page_are_a_400_and_store_nothing(client, auth, session):
    world = build_world(session)
    bank = make_bank(session, unit=world.root)
    session.commit()
    auth.login("admin")
    # Each under the 500 KB at which the test client spools a request body to a temporary file.
    files = [
        ("merged.xlsx", workbook([list(COLUMNS), row()], merges=["C1:F1"])),
        ("nested.gift", ("Q " + "{" * 50_000 + "}" * 50_000).encode()),
        ("many.gift", ("Q {=a " + "~b " * 50_000 + "}").encode()),
    ]
    for name, data in files:
        response = auth.post(
            f"/bank/{bank.id}/import",
            data={"file": (io.BytesIO(data), name), "format": "auto"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, name
        assert 'data-testid="import-errors"' in response.get_data(as_text=True)
        assert 'name="token"' not in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
