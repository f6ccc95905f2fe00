"""`flask bank import|export`: FILE:ROW_OR_LINE: message lines, exit status, idempotence."""

import io
import re
from pathlib import Path

import sqlalchemy as sa

from learnapp.orgs.models import Role
from learnapp.question_bank.models import Audience, Question, QuestionStatus
from learnapp.question_bank.starter import STARTER_DIR
from learnapp.web import LANG_COOKIE
from tests.factories import make_user
from tests.question_bank.factories import make_bank, make_question
from tests.question_bank.import_helpers import csv_text, row, xlsx_bytes
from tests.world import build_world

PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<message>.+)$")
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def count(session) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(Question))


def test_bad_rows_print_one_line_each_exit_1_and_store_nothing(runner, session, tmp_path):
    path = tmp_path / "坏题.csv"
    path.write_text(csv_text([row(), row(answer="Z"), row(stem="")]), encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1
    problems = [
        PROBLEM.match(line) for line in result.stderr.splitlines() if line.startswith(str(path))
    ]
    assert [(m["file"], m["line"]) for m in problems] == [(str(path), "3"), (str(path), "4")]
    assert problems[0]["message"].startswith("答案: ")
    assert count(session) == 0


def test_starter_folder_imports_once_then_reports_duplicates(runner, session):
    first = runner.invoke(
        args=["bank", "import", str(STARTER_DIR), "--status", "active", "--quiet"]
    )
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("165 questions added as active")
    again = runner.invoke(args=["bank", "import", str(STARTER_DIR), "--quiet"])
    assert again.exit_code == 0
    assert (
        again.stdout.startswith("0 questions added") and "165 already in the bank" in again.stdout
    )
    assert count(session) == 165
    assert set(session.scalars(sa.select(Question.status))) == {QuestionStatus.ACTIVE}


def test_dry_run_writes_nothing(runner, session, tmp_path):
    path = tmp_path / "q.gift"
    path.write_text("Q {T}\n\nMatch {=a -> 1 =b -> 2}\n", encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert result.stdout.startswith("1 questions would be added as draft")
    assert f"{path}:3: skipped: " in result.stderr
    assert count(session) == 0


def test_format_option_and_knowledge_point(runner, session, tmp_path):
    path = tmp_path / "aiken.dat"
    path.write_text("Q?\nA) a\nB) b\nANSWER: A\n", encoding="utf-8")
    result = runner.invoke(
        args=["bank", "import", str(path), "--format", "aiken", "--knowledge-point", "党章/总纲"]
    )
    assert result.exit_code == 0, result.output
    session.rollback()
    question = session.scalar(sa.select(Question))
    assert question.knowledge_point.full_name == "党章 › 总纲"


def test_file_level_problem_has_no_line_number(runner, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip")
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1 and result.stderr.startswith(f"{path}: ")


def test_export_with_filters_and_reimport_round_trip(runner, session, tmp_path):
    runner.invoke(args=["bank", "import", str(STARTER_DIR), "--status", "active", "--quiet"])
    out = tmp_path / "单选.csv"
    result = runner.invoke(
        args=[
            "bank",
            "export",
            "--format",
            "csv",
            str(out),
            "--type",
            "single",
            "--knowledge-point",
            "党章/第一章 党员",
        ]
    )
    assert result.exit_code == 0, result.output
    exported = int(result.stdout.split()[0])
    assert exported > 5 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    gift = tmp_path / "all.gift"
    result = runner.invoke(args=["bank", "export", "--format", "gift", str(gift)])
    # The 9 fill questions with several blanks do not fit GIFT's one answer block.
    assert result.stdout.startswith("156 questions exported") and "(9 skipped)" in result.stdout
    # A fresh bank gets the GIFT file back without errors.
    bank = make_bank(session, name="空题库")
    session.commit()
    back = runner.invoke(args=["bank", "import", str(gift), "--bank", str(bank.id), "--quiet"])
    assert back.exit_code == 0, back.output
    assert back.stdout.startswith("156 questions added")


def test_gift_and_aiken_files_import_and_their_bad_lines_are_named(runner, session, tmp_path):
    gift = tmp_path / "题.gift"
    gift.write_text("预备期一年 {T}\n\n党员 {=两名 ~一名}\n", encoding="utf-8")
    aiken = tmp_path / "题.txt"
    aiken.write_text("Q1?\nA) a\nB) b\nANSWER: C\n", encoding="utf-8")
    bad = runner.invoke(args=["bank", "import", str(aiken)])
    assert bad.exit_code == 1 and bad.stderr.startswith(f"{aiken}:4: ")
    assert count(session) == 0
    aiken.write_text("Q1?\nA) a\nB) b\nANSWER: B\n", encoding="utf-8")
    for path in (gift, aiken):
        done = runner.invoke(args=["bank", "import", str(path)])
        assert done.exit_code == 0, done.output
    assert count(session) == 3
    broken = tmp_path / "坏.gift"
    broken.write_text("好题 {T}\n\n坏题 {=甲 ~乙\n", encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(broken)])
    assert result.exit_code == 1 and f"{broken}:3: " in result.stderr
    assert count(session) == 3


def test_export_of_one_source_version_and_an_unknown_source(runner, session, tmp_path):
    runner.invoke(args=["bank", "import", str(STARTER_DIR), "--status", "active", "--quiet"])
    out = tmp_path / "党章.csv"
    result = runner.invoke(
        args=[
            "bank",
            "export",
            "--format",
            "csv",
            str(out),
            "--source",
            "《中国共产党章程》 2022-10-22",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("83 questions exported")
    rows = out.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert len(rows) == 83 and all("《中国共产党章程》" in line for line in rows)
    unknown = runner.invoke(
        args=["bank", "export", "--format", "csv", str(tmp_path / "x.csv"), "--source", "无此文件"]
    )
    assert unknown.exit_code != 0 and "无此文件" in unknown.output
    assert "《中国共产党章程》 2022-10-22" in unknown.output
    assert not (tmp_path / "x.csv").exists()


def test_moodle_xml_files_import_from_a_folder_and_export_again(runner, session, tmp_path):
    sample = (Path(__file__).parent / "data" / "moodle_sample.xml").read_bytes()
    (tmp_path / "moodle.xml").write_bytes(sample)
    done = runner.invoke(args=["bank", "import", str(tmp_path), "--status", "active"])
    assert done.exit_code == 0, done.output
    assert (
        done.stdout.startswith("5 questions added as active") and "2 not importable" in done.stdout
    )
    assert f"{tmp_path / 'moodle.xml'}:146: skipped: " in done.stderr
    assert count(session) == 5
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(b"<!DOCTYPE quiz SYSTEM 'http://evil.example/x.dtd'><quiz/>")
    refused = runner.invoke(args=["bank", "import", str(hostile), "--format", "xml"])
    assert refused.exit_code == 1 and f"{hostile}:1: " in refused.stderr
    assert "<!DOCTYPE" in refused.stderr
    export = runner.invoke(args=["bank", "export", "--format", "xml", str(tmp_path / "x.xml")])
    assert export.exit_code == 0, export.output
    assert (tmp_path / "x.xml").read_bytes().count(b'<question type="shortanswer">') == 1


def test_questions_with_other_settings_are_listed_kept_or_updated_on_request(
    runner, session, tmp_path
):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="一题？")
    session.commit()
    options = existing.current_version.spec["options"]
    path = tmp_path / "q.csv"
    path.write_text(csv_text([row(stem="一题？", options=options, 学习对象="党员")]), "utf-8")
    args = ["bank", "import", str(path), "--bank", str(bank.id), "--quiet"]
    kept = runner.invoke(args=args)
    assert kept.exit_code == 0, kept.output
    assert f"{path}:2: question #{existing.id} has other settings: " in kept.stderr
    assert "“党员”: kept" in kept.stderr and "1 kept" in kept.stdout
    assert audience(session, existing) == Audience.ALL
    updated = runner.invoke(args=[*args, "--update-differing"])
    assert updated.exit_code == 0, updated.output
    assert "“党员”: updated" in updated.stderr and "1 updated" in updated.stdout
    assert audience(session, existing) == Audience.PARTY_MEMBERS
    assert count(session) == 1


def audience(session, question) -> Audience:
    session.rollback()
    session.expire_all()
    return session.get(Question, question.id).current_version.audience


def test_updates_sent_back_to_review_are_counted_as_on_the_web_result_page(
    runner, client, auth, session, tmp_path
):
    """One file, imported with every differing question updated by the CLI into one bank and
    through the web into another: both count the same updated and sent back to review."""
    world = build_world(session)
    make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    banks, questions = [], []
    for name in ("命令行题库", "网页题库"):
        bank = make_bank(session, name=name, unit=world.root, two_person_review=False)
        for stem in ("一题？", "二题？", "三题？"):
            questions.append(make_question(session, bank, status=QuestionStatus.ACTIVE, stem=stem))
        banks.append(bank)
    session.commit()
    options = questions[0].current_version.spec["options"]
    rows = [
        row(stem="一题？", options=options, 学习对象="党员"),
        row(stem="二题？", options=options, 分值="3"),
        row(stem="三题？", options=options, 标签="新标签"),  # tags alone: it stays active
    ]
    path = tmp_path / "题库.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    args = ["bank", "import", str(path), "--update-differing", "--bank"]
    done = runner.invoke(args=[*args, str(banks[0].id)])
    assert done.exit_code == 0, done.output
    assert "3 updated (2 of them active and went back to review)" in done.stdout
    dry = runner.invoke(args=[*args, str(banks[1].id), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 updated (2 of them active and would go back to review)" in dry.stdout
    session.rollback()
    statuses = session.scalars(
        sa.select(Question.status).where(Question.bank_id == banks[0].id).order_by(Question.id)
    ).all()
    assert statuses == [QuestionStatus.IN_REVIEW, QuestionStatus.IN_REVIEW, QuestionStatus.ACTIVE]

    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    preview = auth.post(
        f"/bank/{banks[1].id}/import",
        data={"file": (io.BytesIO(path.read_bytes()), path.name), "format": "auto"},
        content_type="multipart/form-data",
    )
    token = TOKEN.search(preview.get_data(as_text=True)).group(1)
    confirmed = auth.post(
        f"/bank/{banks[1].id}/import/confirm", data={"token": token, "update_all": "1"}
    )
    page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "3 questions of the bank took the settings the file gives." in page
    assert "2 of them were active and went back to review" in page
