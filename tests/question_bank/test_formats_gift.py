"""GIFT: every test vector of question-formats.md §3.1, the mapping onto the bank's types, and
the malformed inputs of security.md §6.3 (rows 51–55)."""

from decimal import Decimal

import pytest

from learnapp.question_bank.formats import gift
from learnapp.question_bank.formats.common import ParseResult
from tests.question_bank.import_helpers import has_han, messages


def items(text: str):
    result = ParseResult()
    found = gift.read_items(text.encode(), result)
    return found, result


def one(text: str):
    found, result = items(text)
    assert result.errors == []
    assert len(found) == 1
    return found[0]


def parse(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return gift.parse(data, "t.gift", **kwargs)


# The reference's test vectors, as Moodle reads them


def test_vector_true_false_with_name():
    item = one("::Q1:: 1+1=2 {T}")
    assert (item.qtype, item.correct, item.name, item.text) == ("truefalse", True, "Q1", "1+1=2")


def test_vector_missing_word_multichoice():
    item = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert item.qtype == "multichoice" and item.single
    assert item.text == "Grant is _____ in Grant's tomb."
    assert [a.fraction for a in item.answers] == [0, 1, 0]


def test_vector_weighted_multiple_response():
    item = one("::colours:: X?{~%50%yellow#ok ~%-100%red ~%50%off-beige ~%-100%[plain]blue}")
    assert item.qtype == "multichoice" and not item.single
    assert [a.fraction for a in item.answers] == [
        Decimal("0.5"),
        Decimal("-1"),
        Decimal("0.5"),
        Decimal("-1"),
    ]
    assert item.answer_formats[3] == "plain" and item.answers[3].text == "blue"
    assert item.answers[0].feedback == "ok"


def test_vector_short_answer_two_right_answers():
    item = one("Who? {=no one =nobody}")
    assert item.qtype == "shortanswer"
    assert [(a.text, a.fraction) for a in item.answers] == [("no one", 1), ("nobody", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q {#1822:5}", [(Decimal(1822), Decimal(5), Decimal(1))]),
        ("Q {#1..5}", [(Decimal(3), Decimal(2), Decimal(1))]),
        (
            "Q {#=1822:0 =%50%1822:2}",
            [(Decimal(1822), Decimal(0), Decimal(1)), (Decimal(1822), Decimal(2), Decimal("0.5"))],
        ),
    ],
)
def test_vector_numerical(text, expected):
    item = one(text)
    assert item.qtype == "numerical"
    assert [(a.value, a.tolerance, a.fraction) for a in item.answers] == expected


def test_vector_matching_with_extra_distractor():
    item = one("Match... {=Canada -> Ottawa =Italy -> Rome = -> Chat}")
    assert item.qtype == "match"
    assert item.pairs == [("Canada", "Ottawa"), ("Italy", "Rome"), ("", "Chat")]


def test_vector_essay_and_description():
    assert one("::Q8:: How are you? {}").qtype == "essay"
    assert one("Intro text only, no braces").qtype == "description"


def test_vector_id_and_tags_from_comments():
    item = one("// [id:myid] [tag:tag] [tag:other-tag]\n::Question name:: How are you? {}")
    assert (item.qtype, item.idnumber, item.tags) == ("essay", "myid", ["tag", "other-tag"])


def test_vector_backslash_escapes():
    assert one(r"::backslash:: A \\ B \\\\ C{}").text == "A \\ B \\\\ C"


def test_vector_escaped_equals_in_text():
    item = one(r"What is 1 + 2 \= ? {=3}")
    assert item.qtype == "shortanswer" and item.text == "What is 1 + 2 = ?"
    assert [a.text for a in item.answers] == ["3"]


def test_vector_category_switch():
    item = one("$CATEGORY: $course$/top/Default for New Features")
    assert item.qtype == "category"
    assert item.category == "$course$/top/Default for New Features"


# Mapping onto the bank


def test_mapping_of_every_importable_type():
    result = parse(
        "$CATEGORY: $course$/top/党章/第一章 党员\n\n"
        "// [tag:基础]\n::Q1:: 预备期为一年。 {T####党章第七条}\n\n"
        "党员要有 {=两 ~三 ~一} 名介绍人。\n\n"
        "X?{~%50%甲 ~%-100%乙 ~%50%丙}\n\n"
        "最高领导机关是 {=全国代表大会 =党的全国代表大会}。\n\n"
        "学时不少于 {#32} 学时。\n\n"
        "简述民主集中制。 {####个人服从组织\\n少数服从多数}\n"
    )
    assert result.errors == []
    drafts = [q.draft for q in result.questions]
    assert [d.type for d in drafts] == ["judge", "single", "multiple", "fill", "fill", "short"]
    assert drafts[0].spec == {"answer": True} and drafts[0].explanation == "党章第七条"
    assert drafts[0].tags == ["基础"] and drafts[0].knowledge_point == ["党章", "第一章 党员"]
    assert drafts[1].stem == "党员要有 _____ 名介绍人。" and drafts[1].spec["answer"] == 0
    assert drafts[2].spec["answers"] == [0, 2]
    assert drafts[3].stem == "最高领导机关是 ____。"
    assert drafts[3].spec["blanks"] == [["全国代表大会", "党的全国代表大会"]]
    assert drafts[4].stem == "学时不少于 ____ 学时。" and drafts[4].spec["blanks"] == [["32"]]
    assert drafts[5].spec == {
        "reference": "个人服从组织\n少数服从多数",
        "key_points": ["个人服从组织", "少数服从多数"],
    }
    assert [q.line for q in result.questions] == [4, 6, 8, 10, 12, 14]


def test_essay_with_the_banks_own_comments_keeps_reference_key_points_and_explanation():
    result = parse(
        "// [tag:意识] [reference:增强四个意识。\\n二者 \\] \\\\ [tag:假\\]]\n"
        "// [key-point:政治意识] [key-point:看齐 \\]意识] [id:x]\n"
        "简述“四个意识”。 {####出自六中全会。}\n\n"
        "// [reference:只有参考答案]\n谈谈体会。 {}\n\n"
        "// [key-point:甲] [key-point:乙]\n要点题。 {####解析}"
    )
    assert result.errors == [] and result.warnings == []
    first, second, third = (q.draft for q in result.questions)
    assert first.spec == {
        "reference": "增强四个意识。\n二者 ] \\ [tag:假]",
        "key_points": ["政治意识", "看齐 ]意识"],
    }
    assert first.explanation == "出自六中全会。" and first.tags == ["意识"]
    assert second.spec == {"reference": "只有参考答案", "key_points": []}
    assert second.explanation == ""
    # Key points alone: one a line, they are the reference answer, as in the template.
    assert third.spec == {"reference": "甲\n乙", "key_points": ["甲", "乙"]}
    assert third.explanation == "解析"


def test_essay_from_moodle_takes_its_general_feedback_as_the_reference():
    draft = parse("谈谈体会。 {####要点一\\n要点二}").questions[0].draft
    assert draft.spec == {"reference": "要点一\n要点二", "key_points": ["要点一", "要点二"]}
    assert draft.explanation == ""


@pytest.mark.parametrize(("written", "share"), [("0%", 0.0), ("33.5%", 0.335), ("100", 1.0)])
def test_partial_credit_comment_sets_the_share_of_a_right_subset(written, share):
    result = parse(f"// [partial-credit:{written}]\nX? {{~%50%a ~%50%b ~%-100%c}}")
    assert result.warnings == []
    assert result.questions[0].draft.spec["partial_credit"] == share


@pytest.mark.parametrize("written", ["150%", "-10%", "half"])
def test_a_partial_credit_that_is_no_percentage_is_reported_and_half_is_used(written):
    result = parse(f"// [partial-credit:{written}]\nX? {{~%50%a ~%50%b ~%-100%c}}")
    assert result.questions[0].draft.spec["partial_credit"] == 0.5
    assert messages(result.warnings) == [
        f"The partial credit “{written}” is not kept: it must be a percentage from 0 to 100. "
        "A right subset earns half the points."
    ]


def test_short_answer_at_the_end_gets_its_blank_where_the_braces_were():
    result = parse("Who? {=no one =nobody}")
    assert result.questions[0].draft.stem == "Who? ____"


def test_unsupported_items_are_skipped_with_a_reason_and_do_not_block_the_rest():
    result = parse(
        "Match {=a -> 1 =b -> 2 =c -> 3}\n\nIntro only\n\nQ {#1822:5}\n\nQ2 {#1..5}\n\n"
        "Essay without reference {}\n\nOK? {T}"
    )
    assert result.errors == []
    assert [q.draft.type for q in result.questions] == ["judge"]
    reasons = messages(result.skipped)
    assert [p.line for p in result.skipped] == [1, 3, 5, 7, 9]
    assert "matching" in reasons[0] and "description" in reasons[1]
    assert "1822 ± 5" in reasons[2] and "3 ± 2" in reasons[3]
    assert "reference answer" in reasons[4]


def test_numerical_exact_answer_with_partial_alternative_keeps_the_exact_value():
    result = parse("Q {#=1822:0 =%50%1822:2}")
    assert result.questions[0].draft.spec["blanks"] == [["1822"]]
    assert "partial credit" in " ".join(messages(result.warnings))


def test_partial_weights_in_multiple_response_are_reported():
    result = parse("X? {~%70%a ~%30%b ~c}")
    assert result.questions[0].draft.spec["answers"] == [0, 1]
    assert "Unequal weights" in " ".join(messages(result.warnings))


def test_messages_name_the_banks_question_types_in_english():
    result = parse(
        "Q {#1822:5}\n\nX? {~%100%a ~b}\n\nSky {true}\n\nY? {=a ~%50%b ~c}", default_kp=[]
    )
    texts = messages(result.skipped) + messages(result.warnings)
    assert len(texts) == 4 and not any(has_han(text) for text in texts)
    assert "fill-in-the-blank questions accept exact answers only" in texts[0]


def test_one_positive_weight_becomes_single_choice_with_a_warning():
    result = parse("X? {~%100%a ~b ~c}")
    assert result.questions[0].draft.type == "single"
    assert messages(result.warnings) == [
        "Only one answer has a positive weight: imported as a single-choice question."
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("X? {~%150%a ~b}", "outside"),
        ("X? {~%-200%a ~%100%b}", "outside"),
        ("X? {~%abc%a ~%100%b}", "not a weight"),
        ("X? {=a =b ~c}", "2 answers are marked correct"),
        ("X? {~%50%a ~%20%b ~c}", "add up to 70%"),
        ("X? {~a ~b}", "No answer has a positive weight"),
        ("X? {=only}", None),  # one answer: a short answer, fine
        ("X? {~only}", "at least two answers"),
    ],
)
def test_weights_are_validated(text, fragment):
    result = parse(text)
    if fragment is None:
        assert result.errors == []
    else:
        assert fragment in " ".join(messages(result.errors))
        assert result.questions == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Q {#1e309}", "out of range"),
        ("Q {#nan}", "not a number"),
        ("Q {#inf}", "not a number"),
        ("Q {#5..1}", "backwards"),
        ("Q {#3:-1}", "negative"),
        ("Q {#abc}", "not a number"),
    ],
)
def test_numbers_are_validated(text, fragment):
    result = parse(text)
    assert fragment in " ".join(messages(result.errors))


def test_numerical_ranges_and_tolerances_are_read_then_refused_clearly():
    for text in ("Q {#1..5}", "Q {#3:2}"):
        result = parse(text)
        assert result.errors == [] and result.questions == []
        assert "tolerance" in str(result.skipped[0].message)


def test_unbalanced_braces_give_the_line_of_the_brace():
    result = parse("OK {T}\n\n::n::\nFirst line\nsecond { line\nno close")
    assert [(p.line, "braces" in str(p.message)) for p in result.errors] == [(5, True)]


def test_a_second_answer_block_is_an_error_with_its_line():
    result = parse("Text {T}\nmore {F}")
    assert result.errors[0].line == 2
    assert "one answer block" in str(result.errors[0].message)


def test_escaped_special_characters_are_literal():
    result = parse(r"a \{b\} c\: d\# e\~ f\= {=x\=y}")
    draft = result.questions[0].draft
    assert draft.stem == "a {b} c: d# e~ f= ____"
    assert draft.spec["blanks"] == [["x=y"]]


def test_html_and_markdown_text_is_stored_as_plain_text_with_a_warning():
    result = parse(
        "[html]<p>Pick <b>one</b> <img src=x onerror=alert(1)></p> {=<i>a</i> ~b}\n\n"
        "[markdown]See [x](javascript:alert(1)) {T}"
    )
    single, judge = (q.draft for q in result.questions)
    assert single.stem == "Pick one" and single.spec["options"] == ["a", "b"]
    assert "onerror" not in single.stem and "<" not in single.stem
    assert judge.stem == "See [x](javascript:alert(1))"  # plain text: no link is ever made
    assert len([w for w in messages(result.warnings) if "plain text" in w]) == 2


def test_plain_prefix_keeps_angle_brackets_as_text():
    result = parse("[plain]Is <b> a tag? {T}")
    assert result.questions[0].draft.stem == "Is <b> a tag?"
    assert result.warnings == []


def test_quirk_zero_line_does_not_end_the_question_but_is_reported():
    result = parse("How many?\n0\n{=zero}")
    assert len(result.questions) == 1
    assert result.questions[0].draft.stem == "How many?\n0\n____"
    assert result.warnings[0].line == 2


def test_quirk_equals_with_weight_is_read_as_the_weight():
    result = parse("X? {=%50%a ~%50%b ~c}")
    assert result.questions[0].draft.type == "multiple"
    assert result.questions[0].draft.spec["answers"] == [0, 1]
    assert "=%50%" in " ".join(messages(result.warnings))


def test_quirk_lowercase_true_is_a_short_answer_with_a_warning():
    result = parse("Sky is blue {true}")
    assert result.questions[0].draft.type == "fill"
    assert result.questions[0].draft.spec["blanks"] == [["true"]]
    assert "{T}" in str(result.warnings[0].message)


def test_comments_between_answers_and_urls_in_text():
    result = parse("See http://example.org {\n=a\n// a comment\n~b\n}")
    assert result.questions[0].draft.stem == "See http://example.org"
    assert result.questions[0].draft.spec["options"] == ["a", "b"]


def test_crlf_no_trailing_newline_and_bom_parse_the_same():
    text = "Q1 {T}\n\nQ2 {=a ~b}"
    variants = [
        text.encode(),
        text.replace("\n", "\r\n").encode(),
        ("\ufeff" + text + "\n\n\n").encode(),
        text.replace("\n", "\r").encode(),
    ]
    results = [gift.parse(data) for data in variants]
    assert all([q.draft.stem for q in r.questions] == ["Q1", "Q2"] for r in results)


def test_category_paths_are_sanitised_names_never_paths():
    result = parse(
        "$CATEGORY: $course$/top/../../etc/./passwd\u202e\n\nQ {T}\n\n"
        "$CATEGORY: tom/dick/harry\n\nQ2 {T}\n\n$CATEGORY: $course$/top\n\nQ3 {T}",
        default_kp=["默认"],
    )
    points = [q.draft.knowledge_point for q in result.questions]
    assert points == [["etc", "passwd"], ["tom", "dick", "harry"], ["默认"]]
    assert sum("ignored" in m for m in messages(result.warnings)) == 3


def test_tags_with_markup_are_dropped_with_a_warning():
    result = parse("// [tag:<b>x</b>] [tag:ok]\nQ {T}")
    assert result.questions[0].draft.tags == ["ok"]
    assert "not kept" in str(result.warnings[0].message)


def test_ten_thousand_questions_parse_and_the_cap_holds(monkeypatch):
    text = "\n\n".join(f"问题{i} {{T}}" for i in range(10_000))
    assert len(parse(text).questions) == 10_000
    monkeypatch.setattr("learnapp.question_bank.formats.gift.reader.MAX_QUESTIONS", 100)
    capped = parse(text)
    assert capped.questions == [] and "At most 100" in str(capped.errors[0].message)


def test_files_that_are_not_text_are_refused():
    assert "NUL" in str(gift.parse(b"Q {T}\x00").errors[0].message)
    assert "neither UTF-8" in str(gift.parse(b"\xff\xfe\xfa Q {T}").errors[0].message)


def test_gbk_is_read_with_a_warning():
    result = gift.parse("党员 {T}".encode("gbk"))
    assert result.questions[0].draft.stem == "党员"
    assert "GB18030" in str(result.warnings[0].message)


def test_empty_file_is_an_error():
    assert "no questions" in str(gift.parse(b"\n\n// only a comment\n").errors[0].message)


def test_stray_invisible_characters_are_removed_with_a_warning():
    # Pasted from a web page: a "blank" line holding a zero-width space, a byte-order mark where
    # a second file was appended, a soft hyphen and a word joiner inside the text.
    text = "Q1 {T}\n\u200b\n\ufeffQ2 \u00ad党\u2060员 {=a ~b\u200b}\n"
    result = parse(text)
    assert result.errors == []
    assert [q.draft.stem for q in result.questions] == ["Q1", "Q2 党员"]
    assert result.questions[1].draft.spec["options"] == ["a", "b"]
    assert [p.line for p in result.warnings] == [2]
    assert "Invisible characters" in messages(result.warnings)[0]


def test_full_width_braces_are_named_when_nothing_else_marks_an_answer():
    result = parse("党员的预备期为一年。｛T｝")
    assert result.questions == []
    assert [p.line for p in result.skipped] == [1]
    assert "Full-width braces" in messages(result.warnings)[0]
    # Full-width braces inside a real question's text are just text.
    fine = parse("集合｛1，2｝有几个元素？ {=两个 ~三个}")
    assert fine.warnings == [] and fine.questions[0].draft.stem == "集合｛1，2｝有几个元素？"
