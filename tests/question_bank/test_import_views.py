"""The import and export screens: upload → preview → confirm → result, all or nothing."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from learnapp.orgs.models import Role
from learnapp.question_bank import formats
from learnapp.question_bank.models import Question, QuestionStatus, SourceDocument
from learnapp.web import LANG_COOKIE
from tests.factories import make_unit, make_user
from tests.question_bank.factories import make_bank, make_question
from tests.question_bank.import_helpers import csv_text, row, xlsx_bytes, xlsx_with_formulas
from tests.world import build_world

TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read the English messages; Chinese is the default catalogue."""
    client.set_cookie(LANG_COOKIE, "en")


@pytest.fixture
def world(session):
    world = build_world(session)
    world.bank = make_bank(session, unit=world.root, two_person_review=False)
    session.commit()
    return world


def upload(auth, bank_id, data, filename="题库.xlsx", **fields):
    return auth.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(data), filename), "format": "auto", **fields},
        content_type="multipart/form-data",
    )


def count(session) -> int:
    session.rollback()  # end the test's read snapshot: see what the requests committed
    return session.scalar(sa.select(sa.func.count()).select_from(Question))


BAD_ROWS = [
    row(stem="好的第一题"),
    row(stem="答案越界", answer="G"),
    row("多选", stem="多选只有一个答案", answer="B"),
    row(stem="好的第二题"),
    row("判断", stem="", options=(), answer="对"),
]


def test_bad_rows_are_listed_and_nothing_is_stored_then_the_fixed_file_imports(
    client, auth, session, world
):
    auth.login("admin")
    response = upload(auth, world.bank.id, xlsx_bytes(BAD_ROWS))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    cells = re.findall(
        r"<tr><td class=\"text-nowrap\">(\d+)</td><td class=\"text-nowrap\">([^<]+)</td>", page
    )
    assert cells == [("3", "答案"), ("4", "答案"), ("6", "题干")]
    assert 'name="token"' not in page and count(session) == 0

    fixed = [
        BAD_ROWS[0],
        row(stem="答案越界", answer="B"),
        row("多选", stem="多选两个", answer="BC"),
        BAD_ROWS[3],
        row("判断", stem="有题干了", options=(), answer="对"),
    ]
    response = upload(auth, world.bank.id, xlsx_bytes(fixed))
    assert response.status_code == 200
    token = TOKEN.search(response.get_data(as_text=True)).group(1)
    assert count(session) == 0  # a preview stores nothing
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert done.status_code == 302 and f"/import/result/{token}" in done.headers["Location"]
    assert count(session) == 5
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="import-result"' in result and "5" in result
    assert set(session.scalars(sa.select(Question.status))) == {QuestionStatus.ACTIVE}
    progress = client.get(f"/bank/{world.bank.id}/import/progress/{token}").get_json()
    assert progress == {"state": "done", "done": 5, "total": 5}
    # Importing the same file again finds only duplicates and adds nothing.
    again = upload(auth, world.bank.id, xlsx_bytes(fixed)).get_data(as_text=True)
    assert "nothing to import" in again


def test_one_upload_lists_bad_rows_conflicting_rows_and_bank_conflicts_together(
    client, auth, session, world
):
    existing = make_question(session, world.bank, stem="党的最高领导机关是什么？")
    session.commit()
    options = existing.current_version.spec["options"]
    bad = [row(stem=f"坏题{n}", answer="G") for n in range(10)]  # rows 2-11
    rows = [
        *bad,
        row(stem="预备期几年？", options=("一年", "两年"), answer="A"),  # 12
        row(stem="预备期几年？", options=("一年", "两年"), answer="B"),  # 13
        row(stem="党的最高领导机关是什么？", options=options, answer="B"),  # 14
    ]
    editor = make_user(session, username="editor4", roles=((Role.BANK_EDITOR, world.root),))
    session.commit()
    assert editor.id
    auth.login("editor4")
    response = upload(auth, world.bank.id, xlsx_bytes(rows))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = page[page.index('data-testid="error-table"') : page.index("</table>")]
    lines = re.findall(r'<tr><td class="text-nowrap">(\d+)</td>', errors)
    assert lines == [str(n) for n in range(2, 12)] + ["13"]
    assert "Same question as line 12, but the answers disagree" in errors
    warnings = page[page.index('data-testid="warning-table"') :]
    assert f"Same question as question #{existing.id} of the bank" in warnings
    assert 'name="token"' not in page and count(session) == 1


@pytest.mark.parametrize(("username", "status"), [("reviewer", 403), ("mema", 403)])
def test_only_editors_upload_question_files(client, auth, session, world, username, status):
    make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    session.commit()
    auth.login(username)
    response = upload(auth, world.bank.id, xlsx_bytes([row(stem="一题")]))
    assert response.status_code == status and count(session) == 0


def test_confirm_rechecks_the_stashed_file_and_refuses_other_users_tokens(
    client, auth, session, world
):
    auth.login("admin")
    response = upload(auth, world.bank.id, xlsx_bytes([row(stem="一题")]))
    token = TOKEN.search(response.get_data(as_text=True)).group(1)
    auth.logout()
    editor = make_user(session, username="editor2", roles=((Role.BANK_EDITOR, world.root),))
    session.commit()
    assert editor.id
    auth.login("editor2")
    refused = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/import")
    assert client.get(f"/bank/{world.bank.id}/import/progress/{token}").get_json() == {
        "state": "waiting"
    }
    assert count(session) == 0


def test_gift_and_aiken_upload_through_the_browser(client, auth, session, world):
    auth.login("admin")
    for name, data in (
        ("q.gift", "题一 {T}\n\n题二 {=甲 ~乙}".encode()),
        ("q.txt", b"Q?\nA) a\nB) b\nANSWER: A\n"),
    ):
        response = upload(auth, world.bank.id, data, filename=name)
        token = TOKEN.search(response.get_data(as_text=True)).group(1)
        auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert count(session) == 3


def test_gift_quirks_and_skipped_items_show_on_the_preview(client, auth, world):
    auth.login("admin")
    page = upload(
        auth, world.bank.id, b"Sky {true}\n\nMatch {=a -> 1 =b -> 2}", filename="q.gift"
    ).get_data(as_text=True)
    assert 'data-testid="import-warnings"' in page and 'data-testid="import-skipped"' in page


def test_file_level_problems(client, auth, world):
    auth.login("admin")
    png = upload(auth, world.bank.id, b"\x89PNG\r\n\x1a\n" + b"0" * 64, filename="x.xlsx")
    assert png.status_code == 400 and "xlsx" in png.get_data(as_text=True)
    macro = upload(auth, world.bank.id, b"PK", filename="x.xlsm")
    assert macro.status_code == 400


def test_counts_on_the_preview_and_the_result_agree_with_their_number(client, auth, world):
    auth.login("admin")
    one_error = [row(stem="好题"), row(stem="坏题", answer="G")]
    page = upload(auth, world.bank.id, xlsx_bytes(one_error)).get_data(as_text=True)
    assert ">1 problem<" in page and "1 problem found. Fix it in the file" in page
    assert "1 problems" not in page
    two_errors = [row(stem="坏题", answer="G"), row(stem="坏题二", answer="G")]
    page = upload(auth, world.bank.id, xlsx_bytes(two_errors)).get_data(as_text=True)
    assert ">2 problems<" in page and "2 problems found. Fix them in the file" in page
    warned_row = [row(stem="预备期为一年。", 参考答案="只有简答题用")]
    response = upload(auth, world.bank.id, xlsx_bytes(warned_row))
    page = response.get_data(as_text=True)
    assert ">1 warning<" in page and "1 warnings" not in page
    assert "1 question is ready to import." in page and "Import 1 question<" in page
    token = TOKEN.search(page).group(1)
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 question imported" in result


def test_the_judge_key_on_the_preview_is_in_the_pages_language(client, auth, world):
    auth.login("admin")
    rows = [
        row("判断", stem="预备期为一年。", options=(), answer="√"),
        row("判断", stem="预备期为两年。", options=(), answer="F"),
    ]
    page = upload(auth, world.bank.id, xlsx_bytes(rows)).get_data(as_text=True)
    assert "<td>True (对)</td>" in page and "<td>False (错)</td>" in page
    client.set_cookie(LANG_COOKIE, "zh_Hans")
    page = upload(auth, world.bank.id, xlsx_bytes(rows)).get_data(as_text=True)
    assert "<td>对</td>" in page and "<td>错</td>" in page


def test_the_format_badge_names_the_format_and_never_a_raw_code(client, auth, world):
    auth.login("admin")
    empty = upload(auth, world.bank.id, b"", filename="q.gift")
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "AUTO" not in page
    assert 'data-testid="import-format"' not in page
    chosen = upload(auth, world.bank.id, b"", filename="q.txt", format="gift")
    assert '<span class="badge text-bg-light" data-testid="import-format">GIFT (Moodle, .gift)' in (
        chosen.get_data(as_text=True)
    )
    detected = upload(auth, world.bank.id, xlsx_bytes([row()])).get_data(as_text=True)
    assert 'data-testid="import-format">Excel template (.xlsx)<' in detected


def test_a_file_with_formula_cells_is_refused_naming_each_cell(client, auth, session, world):
    auth.login("admin")
    data = xlsx_with_formulas({"题干": "=cmd|' /C calc'!A0", "解析": "=1+1", "标签": "=A1"})
    response = upload(auth, world.bank.id, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    cells = re.findall(
        r"<tr><td class=\"text-nowrap\">(\d+)</td><td class=\"text-nowrap\">([^<]+)</td>", page
    )
    assert cells == [("2", "题干"), ("2", "解析"), ("2", "标签")]
    assert 'name="token"' not in page and count(session) == 0


def test_template_download(client, auth, world):
    auth.login("admin")
    response = client.get("/bank/import/template.xlsx")
    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    assert "filename*=UTF-8''%E9%A2%98" in response.headers["Content-Disposition"]
    assert 'filename="question-import-template.xlsx"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "gift", "aiken"])
def test_export_downloads(client, auth, session, world, fmt):
    auth.login("admin")
    response = upload(
        auth, world.bank.id, xlsx_bytes([row(stem="导出题"), row("判断", "判断题", (), "对")])
    )
    token = TOKEN.search(response.get_data(as_text=True)).group(1)
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    form = client.get(f"/bank/{world.bank.id}/export")
    assert form.status_code == 200
    response = client.get(
        f"/bank/{world.bank.id}/export?download=1&format={fmt}&status=active&kp=0&tag=0"
    )
    assert response.status_code == 200
    assert response.headers["X-Questions-Exported"] == ("1" if fmt == "aiken" else "2")
    assert "attachment" in response.headers["Content-Disposition"]
    # An ASCII name for old clients that still says what the file is.
    assert re.search(
        rf'filename="question-bank-{world.bank.id}-\d{{8}}\.\w+"',
        response.headers["Content-Disposition"],
    )


def test_the_export_is_named_after_the_organisations_day(client, auth, session, world, clock):
    make_question(session, world.bank, stem="导出题", status=QuestionStatus.ACTIVE)
    make_user(session, username="editor5", roles=((Role.BANK_EDITOR, world.root),))
    make_user(session, username="reviewer5", roles=((Role.REVIEWER, world.root),))
    session.commit()
    clock.at = datetime(2026, 12, 6, 18, 34, tzinfo=UTC)  # 02:34 on 7 December in Beijing
    path = f"/bank/{world.bank.id}/export?download=1&format=csv&status=active"
    for username in ("editor5", "reviewer5"):
        auth.login(username)
        response = client.get(path)
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert f'filename="question-bank-{world.bank.id}-20261207.csv"' in disposition
        assert "20261206" not in disposition
        auth.logout()
    auth.login("mema")
    assert client.get(path).status_code == 403


def test_export_follows_the_lists_filters(client, auth, session, world):
    auth.login("admin")
    rows = [
        row(stem="易题", 难度="1", 出处="《中国共产党章程》第五条", 依据版本="2017-10-24"),
        row(stem="难题", 难度="5", 出处="《中国共产党章程》第五条", 依据版本="2022-10-22"),
        row(stem="新题", 难度="5", 出处="《中国共产党章程》第六条", 依据版本="2022-10-22"),
    ]
    token = TOKEN.search(upload(auth, world.bank.id, xlsx_bytes(rows)).get_data(as_text=True))
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token.group(1)})
    old = session.scalar(sa.select(SourceDocument).where(SourceDocument.version == "2017-10-24"))
    new = session.scalar(sa.select(SourceDocument).where(SourceDocument.version == "2022-10-22"))

    listed = client.get(f"/bank/{world.bank.id}/?difficulty=5&source={new.id}&q=题")
    link = re.search(r'href="([^"]+)" data-testid="export-link"', listed.get_data(as_text=True))
    export_url = link.group(1).replace("&amp;", "&")
    assert "difficulty=5" in export_url and f"source={new.id}" in export_url
    assert "q=" not in export_url
    page = client.get(export_url).get_data(as_text=True)
    assert re.search(rf'<option selected value="{new.id}">', page)

    def exported(query):
        response = client.get(f"/bank/{world.bank.id}/export?download=1&format=csv&{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert [s for s in ("易题", "难题", "新题") if s in exported("difficulty=5")] == [
        "难题",
        "新题",
    ]
    assert [s for s in ("易题", "难题", "新题") if s in exported(f"source={old.id}")] == ["易题"]
    both = exported(f"difficulty=5&source={new.id}")
    assert "难题" in both and "新题" in both and "易题" not in both
    assert (
        client.get(f"/bank/{world.bank.id}/export?download=1&format=csv&difficulty=9").status_code
        == 400
    )


def test_members_cannot_import_and_other_banks_are_404(client, auth, session, world):
    other_root = make_unit(session, name="别的党委")
    private = make_bank(session, unit=other_root, name="别人的题库")
    make_user(session, username="editor3", roles=((Role.BANK_EDITOR, world.branch_a),))
    session.commit()
    auth.login("mema")
    assert client.get(f"/bank/{world.bank.id}/import").status_code == 403
    auth.logout()
    auth.login("editor3")
    assert client.get(f"/bank/{private.id}/import").status_code == 404
    assert client.get(f"/bank/{private.id}/export").status_code == 404


def test_confirm_looks_for_duplicates_again_without_reading_the_file(
    client, auth, session, world, app
):
    auth.login("admin")
    response = upload(auth, world.bank.id, xlsx_bytes([row(stem="甲题"), row(stem="乙题")]))
    token = TOKEN.search(response.get_data(as_text=True)).group(1)
    # Meanwhile someone imports 甲题, and the stashed file is damaged: only the stashed
    # preview is used, and its duplicates are looked for again.
    upload_again = upload(auth, world.bank.id, xlsx_bytes([row(stem="甲题")]))
    other = TOKEN.search(upload_again.get_data(as_text=True)).group(1)
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": other})
    (Path(app.config["DATA_DIR"]) / "stash" / f"{token}.bin").write_bytes(b"garbage")
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert done.status_code == 302
    state = client.get(f"/bank/{world.bank.id}/import/progress/{token}").get_json()
    assert state == {"state": "done", "done": 1, "total": 1}
    assert count(session) == 2
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 was already in the bank and was not imported again." in page


def upload_large(client, auth, bank_id, data, filename):
    """As `upload`, with the multipart body built in memory: the test client would otherwise
    spool a large body to a temporary file that nothing closes."""
    boundary, body = encode_multipart(
        {
            "csrf_token": auth.csrf("/profile"),
            "format": "auto",
            "file": FileStorage(io.BytesIO(data), filename),
        }
    )
    return client.post(
        f"/bank/{bank_id}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_oversized_file_is_refused_with_the_limit_before_it_is_read(
    client, auth, session, world, app
):
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    auth.login("admin")
    huge = upload_large(client, auth, world.bank.id, b"x" * (3 * 1024 * 1024), "big.csv")
    assert huge.status_code == 413
    page = huge.get_data(as_text=True)
    assert "larger than 1 MB" in page and 'data-testid="import-form"' in page
    just_over = upload_large(client, auth, world.bank.id, b"x" * (1024 * 1024 + 10), "big.csv")
    assert just_over.status_code == 400 and "larger than 1 MB" in just_over.get_data(as_text=True)
    assert count(session) == 0


def test_the_import_limit_not_the_site_limit_applies_to_question_files(
    client, auth, session, world, app
):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    auth.login("admin")
    rows = [row(stem=f"第{n}道较长的题目，用来让文件超过站点的请求上限") for n in range(60)]
    data = csv_text(rows).encode()
    assert len(data) > 2000
    response = upload(auth, world.bank.id, data, filename="q.csv")
    assert response.status_code == 200 and 'data-testid="import-ready"' in response.get_data(
        as_text=True
    )


MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/党章</text></category></question>
  <question type="truefalse">
    <questiontext format="html"><text><![CDATA[<p>预备党员的预备期为一年。</p>]]></text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="matching">
    <questiontext format="html"><text>配对</text></questiontext>
  </question>
</quiz>
""".encode()
XXE_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<quiz><question type="truefalse"><questiontext><text>&xxe;</text></questiontext>'
    b'<answer fraction="100"><text>true</text></answer></question></quiz>'
)


def test_moodle_xml_is_offered_previewed_and_imported(client, auth, session, world):
    auth.login("admin")
    form = client.get(f"/bank/{world.bank.id}/import").get_data(as_text=True)
    assert '<option value="xml">Moodle XML (.xml)</option>' in form and ".xml" in form
    response = upload(auth, world.bank.id, MOODLE_XML, filename="moodle.xml")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="import-skipped"' in page and "matching questions" in page
    token = TOKEN.search(page).group(1)
    assert count(session) == 0
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert done.status_code == 302 and count(session) == 1
    question = session.scalars(sa.select(Question)).one()
    assert question.type == "judge" and question.knowledge_point.full_name == "党章"


@pytest.mark.parametrize("fmt", ["auto", "xml"])
def test_a_hostile_moodle_xml_file_is_refused_with_a_message_and_nothing_stored(
    client, auth, session, world, fmt
):
    auth.login("admin")
    response = upload(auth, world.bank.id, XXE_XML, filename="q.xml", format=fmt)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "declares a document type" in page and 'name="token"' not in page
    assert "root:" not in page
    assert count(session) == 0


def test_members_cannot_upload_moodle_xml(client, auth, session, world):
    auth.login("mema")
    response = upload(auth, world.bank.id, XXE_XML, filename="q.xml")
    assert response.status_code == 403
    assert count(session) == 0


def test_the_bank_exports_moodle_xml_that_imports_back(client, auth, session, world):
    auth.login("admin")
    page = client.get(f"/bank/{world.bank.id}/export").get_data(as_text=True)
    assert 'value="xml"' in page
    sample = (Path(__file__).parent / "data" / "moodle_sample.xml").read_bytes()
    preview = upload(auth, world.bank.id, sample, filename="q.xml")
    token = TOKEN.search(preview.get_data(as_text=True)).group(1)
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    assert count(session) == 5
    exported = client.get(f"/bank/{world.bank.id}/export?download=1&format=xml")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("application/xml")
    back = formats.parse("xml", exported.data, "back.xml")
    assert back.errors == [] and len(back.questions) == count(session)


def test_text_exports_name_their_charset_once(client, auth, world, session):
    auth.login("admin")
    make_question(session, world.bank, world.admin)
    session.commit()
    for code in ("csv", "gift", "aiken"):
        exported = client.get(f"/bank/{world.bank.id}/export?download=1&format={code}")
        assert exported.status_code == 200, code
        assert exported.headers["Content-Type"].count("charset") == 1, code
        assert "filename*=UTF-8''" in exported.headers["Content-Disposition"]


def test_file_text_quoted_in_a_message_is_escaped_on_the_preview(client, auth, world):
    auth.login("admin")
    payload = "<img src=x onerror=alert(1)>"
    data = (
        '<quiz><question type="truefalse"><questiontext><text>Q</text></questiontext>'
        f"<tags><tag><text><![CDATA[{payload}]]></text></tag></tags>"
        '<answer fraction="100"><text>true</text></answer></question></quiz>'
    ).encode()
    page = upload(auth, world.bank.id, data, filename="q.xml").get_data(as_text=True)
    assert 'data-testid="warning-table"' in page
    assert payload not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_default_knowledge_point_too_deep_is_refused_on_the_preview_not_at_commit(
    client, auth, session, world
):
    client.set_cookie(LANG_COOKIE, "zh_Hans")
    auth.login("admin")
    response = upload(
        auth,
        world.bank.id,
        b"Q?\nA) a\nB) b\nANSWER: A\n",
        filename="q.txt",
        knowledge_point="一/二/三/四/五/六/七",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "知识点路径最多 6 级。" in page
    assert TOKEN.search(page) is None and count(session) == 0
    six = upload(
        auth,
        world.bank.id,
        b"Q?\nA) a\nB) b\nANSWER: A\n",
        filename="q.txt",
        knowledge_point="一/二/三/四/五/六",
    )
    assert six.status_code == 200 and TOKEN.search(six.get_data(as_text=True))


def _confirmed_result(client, auth, bank_id, data, filename):
    page = upload(auth, bank_id, data, filename=filename).get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    done = auth.post(f"/bank/{bank_id}/import/confirm", data={"token": token})
    return client.get(done.headers["Location"]).get_data(as_text=True)


def test_the_result_names_template_example_rows_only_for_a_spreadsheet(client, auth, world):
    client.set_cookie(LANG_COOKIE, "zh_Hans")
    auth.login("admin")
    gift = _confirmed_result(
        client, auth, world.bank.id, "题一 {T}\n\n配对 {=a -> 1 =b -> 2}".encode(), "q.gift"
    )
    assert "1 个条目已略过：本题库不支持。" in gift and "示例行" not in gift
    sheet = _confirmed_result(
        client,
        auth,
        world.bank.id,
        csv_text([row(stem="（示例）模板示例行"), row(stem="正式的一题")]).encode(),
        "q.csv",
    )
    assert "1 个条目已略过：本题库不支持，或为模板的示例行。" in sheet


def test_the_preview_warns_of_questions_on_a_sheet_it_does_not_read(auth, session, world):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_bytes([row(stem="第一页的题")])))
    workbook.create_sheet("第二页").append(row(stem="第二页的题"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login("admin")
    response = upload(auth, world.bank.id, buffer.getvalue())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    warnings = page[page.index('data-testid="warning-table"') :]
    assert "These sheets also hold data and were not read: 第二页" in warnings
    assert 'name="token"' in page and count(session) == 0
