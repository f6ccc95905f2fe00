"""Aiken: the reference's behaviour on an errors file (errors on lines 3, 5, 7 and 18), answer
letters validated, full-width input, and the export that only holds single choice."""

from pathlib import Path

import pytest

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import aiken, detect, export
from tests.question_bank.import_helpers import has_han, messages

ERRORS_FILE = Path(__file__).parent / "data" / "aiken_errors.txt"


def test_errors_file_gives_three_good_questions_and_four_errors_with_lines():
    result = aiken.parse(ERRORS_FILE.read_bytes(), "aiken_errors.txt")
    stems = [q.draft.stem for q in result.questions]
    assert stems == [
        "A first good question",
        "A second good question, options written without a space",
        "Which of these is <b> & co?",
    ]
    second = result.questions[1].draft
    assert second.spec == {
        "options": ["Wrong without a space", "Right without a space"],
        "answer": 1,
    }
    assert result.questions[2].draft.spec["options"] == ["<b>", "&amp;"]  # plain text, as typed
    assert [p.line for p in result.errors] == [3, 5, 7, 18]
    texts = messages(result.errors)
    assert texts[0].startswith("Line 3: the question “A question with a single option” needs")
    assert "at least two options" in texts[0] and "answers" not in texts[0]
    assert "not started on line 5" in texts[1] and "A. Lincoln" in texts[1]
    assert "not started on line 7" in texts[2]
    assert texts[3].startswith("Line 18 starts a new question, but the question above")
    assert "A question that never gets an answer" in texts[3] and "no ANSWER: line" in texts[3]


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("E", "not one of the options A to D"),
        ("A,C", "one right answer"),
        ("", "names no letter"),
    ],
)
def test_answer_letter_must_name_one_option(answer, fragment):
    text = f"Q?\nA) a\nB) b\nC) c\nD) d\nANSWER: {answer}\n"
    result = aiken.parse(text.encode())
    assert result.questions == []
    assert fragment in messages(result.errors)[0]
    assert not has_han(messages(result.errors)[0])


def test_full_width_letters_and_colon_and_lowercase_answer():
    text = "党员要有几名介绍人？\nＡ．一名\nＢ．两名\nANSWER：ｂ\n"
    result = aiken.parse(text.encode())
    assert result.errors == []
    assert result.questions[0].draft.spec == {"options": ["一名", "两名"], "answer": 1}


def test_crlf_short_lines_and_missing_final_answer():
    text = "Q1\r\nA) x\r\nB) y\r\nANSWER: A\r\n.\r\nQ2\r\nA) x\r\nB) y"
    result = aiken.parse(text.encode())
    assert [q.draft.stem for q in result.questions] == ["Q1"]
    assert result.errors[0].line == 6 and "not completed" in str(result.errors[0].message)


def test_gbk_file_is_read():
    result = aiken.parse("题目\nA) 对\nB) 错\nANSWER: A\n".encode("gbk"))
    assert result.encoding == "gb18030" and result.questions[0].draft.stem == "题目"


def test_export_holds_single_choice_only_and_round_trips(ctx):
    from tests.question_bank.factories import single_draft

    drafts = [
        single_draft("第一题\n两行"),
        single_draft("A. Lincoln was a president"),
        single_draft("判断", type="judge", spec={"answer": True}),
    ]
    exported = aiken.export(drafts)
    assert exported.exported == 1 and len(exported.skipped) == 2
    back = aiken.parse(exported.data)
    assert back.errors == []
    assert back.questions[0].draft.stem == "第一题 两行"
    assert back.questions[0].draft.spec == drafts[0].spec


def test_stray_invisible_characters_are_removed_with_a_warning():
    text = "党员的预备期为\u200b多长？\nA) 半年\u00ad\n\ufeffB) 一年\nANSWER: B\n"
    result = aiken.parse(text.encode(), "x.txt")
    assert result.errors == []
    draft = result.questions[0].draft
    assert (draft.stem, draft.spec["options"]) == ("党员的预备期为多长？", ["半年", "一年"])
    assert [p.line for p in result.warnings] == [1]
    assert "Invisible characters" in messages(result.warnings)[0]


# Telling Aiken from GIFT in a .txt file


def test_the_banks_own_aiken_export_with_braces_in_stems_is_read_as_aiken():
    drafts = [
        QuestionDraft("single", f"“{{大括号}}”第{n}题：党的{{=最高}}领导机关是？", spec)
        for n, spec in enumerate(
            [{"options": ["全国代表大会", "中央委员会"], "answer": 0}] * 3
            + [{"options": ["{}", "{T}"], "answer": 1}]
        )
    ]
    data = export("aiken", drafts).data
    assert detect("导出.txt", data) == "aiken"
    result = aiken.parse(data)
    assert result.errors == [] and [q.draft.stem for q in result.questions] == [
        d.stem for d in drafts
    ]


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_aiken_with_carriage_return_line_ends_is_read_as_aiken(newline):
    data = newline.join(
        ["党的最高理想是？", "A) 实现共产主义", "B) 其他", "ANSWER: A", ""]
    ).encode()
    assert detect("mac.txt", data) == "aiken"
    assert [q.draft.stem for q in aiken.parse(data).questions] == ["党的最高理想是？"]


def test_a_broken_aiken_file_with_braces_is_still_aiken_so_its_errors_show():
    data = "党的{原则}是？\nA) 民主集中制\nB) 其他\nANSWER: C\n".encode()
    assert detect("a.txt", data) == "aiken"
    assert "not one of the options" in messages(aiken.parse(data).errors)[0]


@pytest.mark.parametrize(
    "text",
    [
        "Q {T}",
        "::Q1:: 1+1=2 {T}\n\nANSWER: is this GIFT? {=yes ~no}",
        "Grant is {~buried =entombed} in Grant's tomb.\nANSWER: A",
        "$CATEGORY: 党章\n\n谈谈 {}\n\nANSWER: x {#3}",
        "// comment\nWho? {\n=no one\n=nobody\n}\nANSWER: A",
    ],
)
def test_gift_files_are_read_as_gift_even_with_answer_lines(text):
    assert detect("a.txt", text.encode()) == "gift"
