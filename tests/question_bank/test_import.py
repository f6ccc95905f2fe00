"""Import preview and commit: duplicates, status, audit, limits and the starter bank."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.question_bank import importing
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import Question, QuestionStatus
from learnapp.question_bank.starter import STARTER_DIR, import_folder
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank, make_question
from tests.question_bank.import_helpers import csv_text, messages, row

pytestmark = pytest.mark.usefixtures("ctx")


def preview(session, bank, rows, **kwargs):
    return importing.preview_import(
        session, bank, "t.csv", csv_text(rows).encode(), "auto", **kwargs
    )


def count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Question))


def test_every_starter_question_imports_cleanly(session):
    bank = make_bank(session)
    files = sorted(STARTER_DIR.glob("*.csv"))
    assert [f.name for f in files] == [
        "member-education-regulations-2019.csv",
        "party-constitution-2022.csv",
        "party-history-basics.csv",
    ]
    total = 0
    types = set()
    for path in files:
        result = importing.preview_import(session, bank, path.name, path.read_bytes())
        assert result.errors == [] and result.skipped == []
        total += len(result.new_items)
        types |= {item.draft.type for item in result.items}
    assert total == 165 and types == {"single", "multiple", "judge", "fill", "short"}


def test_starter_import_is_idempotent_and_active(session):
    bank = make_bank(session)
    assert import_folder(session, bank, STARTER_DIR, FIXED_NOW) == 165
    assert import_folder(session, bank, STARTER_DIR, FIXED_NOW) == 0
    assert count(session) == 165
    statuses = set(session.scalars(sa.select(Question.status)))
    assert statuses == {QuestionStatus.ACTIVE}


def test_duplicates_of_bank_questions_are_flagged_and_skipped(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="党的最高领导机关是什么？")
    result = preview(
        session,
        bank,
        [
            row(stem="党的最高领导机关是什么", options=existing.current_version.spec["options"]),
            row(stem="新题", options=("a", "b")),
        ],
    )
    assert [(i.line, i.duplicate_of) for i in result.items] == [(2, existing.id), (3, None)]
    outcome = importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert (outcome.added, outcome.duplicates) == (1, 1)


def test_same_stem_with_other_options_is_imported_with_a_warning(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="下列说法正确的是（  ）。")
    result = preview(
        session,
        bank,
        [
            row(stem="下列说法正确的是（ ）", options=("甲", "乙")),
            row(stem="下列说法正确的是", options=("丙", "丁")),
        ],
    )
    assert [i.is_new for i in result.items] == [True, True]
    assert [w.line for w in result.warnings] == [2, 3]
    assert f"#{existing.id}" in messages(result.warnings)[0]


def test_repeated_rows_in_a_file_are_imported_once(session):
    bank = make_bank(session)
    result = preview(
        session, bank, [row(stem="重复的题"), row(stem="重复 的题！"), row(stem="别的")]
    )
    assert [(i.line, i.duplicate_line) for i in result.items] == [(2, None), (3, 2), (4, None)]
    assert importing.commit_import(session, None, bank, result, FIXED_NOW).added == 2


def test_repeated_questions_whose_answers_disagree_are_errors_naming_the_first_line(session):
    bank = make_bank(session)
    result = preview(
        session,
        bank,
        [
            row(stem="预备期几年？", options=("一年", "两年"), answer="A"),  # 2
            row(stem="预备期几年？", options=("两年", "一年"), answer="B"),  # 3: same answer
            row(stem="预备期几年？", options=("一年", "两年"), answer="B"),  # 4
            row("判断", stem="预备期为一年。", options=(), answer="对"),  # 5
            row("判断", stem="预备期为一年。", options=(), answer="错"),  # 6
        ],
    )
    assert [(i.line, i.duplicate_line) for i in result.items if i.duplicate_line] == [
        (3, 2),
        (4, 2),
        (6, 5),
    ]
    assert [p.line for p in result.errors] == [4, 6] and not result.ok
    texts = messages(result.errors)
    assert "line 2" in texts[0] and "line 5" in texts[1]
    assert all("answers disagree" in text for text in texts)


def test_a_bank_question_whose_answer_disagrees_is_left_out_with_a_warning(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="最高领导机关？")
    options = existing.current_version.spec["options"]
    result = preview(session, bank, [row(stem="最高领导机关？", options=options, answer="B")])
    assert result.ok and result.items[0].duplicate_of == existing.id
    assert [p.line for p in result.warnings] == [2]
    assert f"#{existing.id}" in messages(result.warnings)[0]
    assert "answers disagree" in messages(result.warnings)[0]


def test_duplicates_are_checked_among_the_rows_read_even_when_other_rows_have_errors(session):
    """One upload shows every problem: rows with errors do not hide the conflicts of the rows
    that were read, and every problem comes in the file's order."""
    bank = make_bank(session)
    existing = make_question(session, bank, stem="最高领导机关？")
    options = existing.current_version.spec["options"]
    result = preview(
        session,
        bank,
        [
            row(stem="答案越界", answer="G"),  # 2
            row(stem="预备期几年？", options=("一年", "两年"), answer="A"),  # 3
            row(stem="", answer="A"),  # 4
            row(stem="预备期几年？", options=("一年", "两年"), answer="B"),  # 5
            row(stem="最高领导机关？", options=options, answer="B"),  # 6
            row("多选", stem="多选只有一个答案", answer="B"),  # 7
        ],
    )
    assert [p.line for p in result.errors] == [2, 4, 5, 7] and not result.ok
    conflict = messages(result.errors)[2]
    assert "line 3" in conflict and "answers disagree" in conflict
    assert [p.line for p in result.warnings] == [6]
    assert f"#{existing.id}" in messages(result.warnings)[0]
    assert [(i.line, i.duplicate_line, i.duplicate_of) for i in result.duplicates] == [
        (5, 3, None),
        (6, None, existing.id),
    ]


def test_a_file_with_only_errors_has_no_duplicate_check_and_keeps_its_errors(session):
    bank = make_bank(session)
    make_question(session, bank, stem="题干")
    result = preview(session, bank, [row(stem="", answer="A"), row(answer="Z")])
    assert [p.line for p in result.errors] == [2, 3]
    assert result.items == [] and result.warnings == []


def test_near_duplicates_are_warnings(session):
    bank = make_bank(session)
    make_question(session, bank, stem="根据党章规定，党员必须履行的义务一共有几项内容？")
    result = preview(
        session,
        bank,
        [row(stem="根据党章规定，党员必须履行的义务一共有几项内容呢？", options=("a", "b"))],
    )
    assert result.items[0].is_new
    assert "Very similar" in messages(result.warnings)[0]


def test_status_follows_two_person_review_and_one_audit_entry(session):
    reviewed = make_bank(session, two_person_review=True)
    single = make_bank(session, two_person_review=False, name="另一个题库")
    for bank, status in ((reviewed, QuestionStatus.DRAFT), (single, QuestionStatus.ACTIVE)):
        result = preview(session, bank, [row(stem=f"{bank.name}的题{n}") for n in range(3)])
        outcome = importing.commit_import(session, None, bank, result, FIXED_NOW)
        assert outcome.status == status
        assert set(
            session.scalars(sa.select(Question.status).where(Question.bank_id == bank.id))
        ) == {status}
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "questions.imported")
    ).all()
    assert len(entries) == 2
    assert entries[0].after == {
        "file": "t.csv",
        "format": "csv",
        "added": 3,
        "duplicates": 0,
        "updated": 0,
        "kept": 0,
        "skipped": 0,
        "status": "draft",
    }
    assert not session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "question.created")
    ).all()


def test_commit_reports_progress_per_batch(session, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    bank = make_bank(session)
    seen = []
    result = preview(session, bank, [row(stem=f"题{n}") for n in range(5)])
    importing.commit_import(
        session, None, bank, result, FIXED_NOW, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_a_question_refused_at_commit_fails_the_whole_import(session):
    bank = make_bank(session)
    result = preview(session, bank, [row(stem="好题")])
    result.items.append(
        importing.PreviewItem(9, QuestionDraft("single", "", {"options": ["a", "b"], "answer": 0}))
    )
    with pytest.raises(importing.ImportFailed) as failure:
        importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert failure.value.problem.line == 9


def test_a_preview_with_errors_cannot_be_committed(session):
    bank = make_bank(session)
    result = preview(session, bank, [row(stem="")])
    assert not result.ok
    with pytest.raises(ValueError):
        importing.commit_import(session, None, bank, result, FIXED_NOW)


def test_size_limit_is_checked_before_parsing(session, app):
    bank = make_bank(session)
    app.config["IMPORT_MAX_BYTES"] = 100
    result = importing.preview_import(session, bank, "big.csv", b"x" * 101)
    assert "larger than" in messages(result.errors)[0]


def test_default_knowledge_point_for_questions_without_one(session):
    bank = make_bank(session)
    result = preview(
        session,
        bank,
        [row(stem="甲"), row(stem="乙", 知识点="党史")],
        knowledge_point="党章 › 总纲",
    )
    assert [i.draft.knowledge_point for i in result.items] == [["党章", "总纲"], ["党史"]]


def test_gift_and_aiken_files_import(session):
    bank = make_bank(session, two_person_review=False)
    gift = importing.preview_import(
        session, bank, "q.gift", "$CATEGORY: 党章\n\n预备期一年 {T}".encode()
    )
    aiken = importing.preview_import(session, bank, "q.txt", b"Q?\nA) a\nB) b\nANSWER: B\n")
    assert (gift.format, aiken.format) == ("gift", "aiken")
    for result in (gift, aiken):
        importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert count(session) == 2


def test_starter_files_are_unchanged_utf8_without_bom():
    for path in Path(STARTER_DIR).glob("*.csv"):
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


MOODLE_SAMPLE = Path(__file__).parent / "data" / "moodle_sample.xml"


def test_moodle_xml_round_trip_through_preview_and_commit(session):
    bank = make_bank(session, two_person_review=False)
    data = MOODLE_SAMPLE.read_bytes()
    result = importing.preview_import(session, bank, "moodle.xml", data)
    assert result.ok and result.format == "xml" and len(result.skipped) == 2
    outcome = importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert (outcome.added, outcome.skipped) == (5, 2)
    stored = session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.type for q in stored] == ["single", "multiple", "judge", "fill", "short"]
    assert {q.knowledge_point.full_name for q in stored} == {"党章 › 第一章 党员"}
    first = stored[0].current_version
    assert first.points == 2 and first.explanation == "党章第五条：两名正式党员作介绍人。"
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "questions.imported")
    ).one()
    assert audit.after["format"] == "xml" and audit.after["skipped"] == 2
    again = importing.preview_import(session, bank, "moodle.xml", data)
    assert again.new_items == [] and len(again.duplicates) == 5


def test_a_moodle_xml_file_with_an_entity_declaration_stores_nothing(session):
    bank = make_bank(session)
    data = (
        b'<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>'
        b'<question type="truefalse"><questiontext><text>&x;</text></questiontext>'
        b'<answer fraction="100"><text>true</text></answer></question></quiz>'
    )
    result = importing.preview_import(session, bank, "q.xml", data)
    assert not result.ok and result.items == []
    assert "document type" in messages(result.errors)[0]
    with pytest.raises(ValueError):
        importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert count(session) == 0
