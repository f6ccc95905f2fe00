"""Pure grading and validation of the five question types."""

from decimal import Decimal

import pytest

from learnapp.question_bank.types import (
    TYPES,
    Grade,
    choice_indexes,
    get_type,
    normalise_stem,
    parse_judge,
)

SINGLE = {"options": ["甲", "乙", "丙", "丁"], "answer": 1}
MULTIPLE = {"options": ["甲", "乙", "丙", "丁"], "answers": [0, 2, 3]}
FILL = {"blanks": [["为人民服务", "全心全意为人民服务"], ["共产主义"]], "any_order": False}
D = Decimal


TWO = D("2")


def grade(code, spec, response, points=TWO) -> Grade:
    return get_type(code).grade(spec, response, points)


def test_registry_has_the_five_types_with_widgets_and_forms():
    assert list(TYPES) == ["single", "multiple", "judge", "fill", "short"]
    for qtype in TYPES.values():
        assert qtype.widget_template == f"question_bank/widgets/{qtype.code}.html"
        assert qtype.form_class.type_code == qtype.code


@pytest.mark.parametrize(
    ("response", "points", "correct"),
    [
        (1, D("2"), True),
        (0, D("0"), False),
        (None, D("0"), False),
        ("1", D("0"), False),
        (True, D("0"), False),
    ],
)
def test_single_choice_scores_only_the_right_index(response, points, correct):
    result = grade("single", SINGLE, response)
    assert (result.points, result.max_points, result.correct, result.needs_marking) == (
        points,
        D("2.00"),
        correct,
        False,
    )


def test_multiple_choice_all_right_answers_earn_full_points():
    assert grade("multiple", MULTIPLE, [3, 0, 2]) == Grade(D("2.00"), D("2.00"), True, False)


def test_multiple_choice_correct_subset_earns_half_by_default():
    result = grade("multiple", MULTIPLE, {0, 2})
    assert result.points == D("1.00") and result.correct is False


def test_multiple_choice_partial_credit_follows_the_spec():
    spec = {**MULTIPLE, "partial_credit": 0.25}
    assert grade("multiple", spec, [0], D("3")).points == D("0.75")


@pytest.mark.parametrize("response", [[0, 1], [1], [0, 1, 2, 3], [], None])
def test_multiple_choice_any_wrong_option_or_nothing_scores_zero(response):
    assert grade("multiple", MULTIPLE, response).points == D("0.00")


@pytest.mark.parametrize(
    "spelling",
    ["对", "√", "✓", "正确", "T", "t", "true", "TRUE", "True", "Ｔ", " 对 ", "是", True],
)
def test_judge_accepts_every_true_spelling(spelling):
    assert parse_judge(spelling) is True
    assert grade("judge", {"answer": True}, spelling).correct is True


@pytest.mark.parametrize(
    "spelling", ["错", "×", "错误", "F", "f", "false", "FALSE", "Ｆ", "否", False]
)
def test_judge_accepts_every_false_spelling(spelling):
    assert parse_judge(spelling) is False
    assert grade("judge", {"answer": False}, spelling).points == D("2.00")


@pytest.mark.parametrize("nonsense", ["", "maybe", "对错", None, 1])
def test_judge_unreadable_answer_is_wrong(nonsense):
    result = grade("judge", {"answer": True}, nonsense)
    assert result.correct is False and result.points == D("0.00")


def test_fill_exact_answers_in_order_are_right():
    assert grade("fill", FILL, ["为人民服务", "共产主义"]).correct is True


def test_fill_accepts_synonyms_per_blank():
    assert grade("fill", FILL, ["全心全意为人民服务", "共产主义"]).points == D("2.00")


def test_fill_ignores_full_width_and_surrounding_spaces():
    spec = {"blanks": [["32"], ["ABC"]], "any_order": False}
    assert grade("fill", spec, ["　３２ ", " ａｂｃ"]).correct is True


def test_fill_ignores_spaces_inside_an_answer():
    assert grade("fill", FILL, ["为人民 服务", "共产\u3000主 义"]).correct is True
    assert grade("fill", FILL, ["为人民服务", "社会 主义"]).correct is False


def test_fill_in_order_refuses_swapped_answers_but_credits_each_blank():
    result = grade("fill", FILL, ["共产主义", "为人民服务"])
    assert result.correct is False and result.points == D("0.00")
    half = grade("fill", FILL, ["为人民服务", "社会主义"])
    assert half.points == D("1.00") and half.correct is False


def test_fill_any_order_accepts_swapped_answers():
    spec = {**FILL, "any_order": True}
    assert grade("fill", spec, ["共产主义", "为人民服务"]).correct is True


def test_fill_any_order_counts_one_answer_once():
    spec = {"blanks": [["党员"], ["党员", "干部"]], "any_order": True}
    assert grade("fill", spec, ["党员", "党员"]).correct is True
    assert grade("fill", {"blanks": [["甲"], ["乙"]], "any_order": True}, ["甲", "甲"]).points == D(
        "1.00"
    )


def test_fill_any_order_finds_the_best_assignment():
    spec = {"blanks": [["a", "b"], ["a"]], "any_order": True}
    assert grade("fill", spec, ["a", "b"]).correct is True


def test_fill_missing_or_extra_answers_do_not_crash():
    assert grade("fill", FILL, ["为人民服务"]).points == D("1.00")
    assert grade("fill", FILL, None).points == D("0.00")
    assert grade("fill", FILL, ["为人民服务", "共产主义", "多余"]).correct is True


def test_fill_thirds_round_to_cents():
    spec = {"blanks": [["a"], ["b"], ["c"]], "any_order": False}
    assert grade("fill", spec, ["a", "", ""], D("1")).points == D("0.33")


def test_short_answer_always_needs_a_person():
    result = grade("short", {"reference": "参考", "key_points": []}, "我的回答")
    assert result == Grade(D("0.00"), D("2.00"), None, True)


@pytest.mark.parametrize(
    ("code", "spec", "fragment"),
    [
        ("single", {"options": ["甲", "乙"], "answer": 2}, "one of the options"),
        ("single", {"options": ["甲", "乙"], "answer": -1}, "one of the options"),
        ("single", {"options": ["甲", "乙"], "answer": True}, "one of the options"),
        ("single", {"options": ["甲"], "answer": 0}, "between 2 and 8"),
        ("single", {"options": ["甲", " "], "answer": 0}, "may not be empty"),
        ("single", {"options": ["甲", "甲"], "answer": 0}, "same text"),
        ("single", {"options": "甲乙", "answer": 0}, "must be a list"),
        ("single", {"options": ["x" * 1001, "乙"], "answer": 0}, "longer than"),
        ("multiple", {"options": ["甲", "乙", "丙"], "answers": [1]}, "at least two"),
        ("multiple", {"options": ["甲", "乙", "丙"], "answers": [1, 1]}, "distinct"),
        ("multiple", {"options": ["甲", "乙", "丙"], "answers": [0, 5]}, "distinct"),
        (
            "multiple",
            {"options": ["甲", "乙"], "answers": [0, 1], "partial_credit": 2},
            "between 0 and 1",
        ),
        (
            "multiple",
            {"options": ["甲", "乙"], "answers": [0, 1], "partial_credit": "x"},
            "between 0 and 1",
        ),
        ("judge", {"answer": "对"}, "true or false"),
        ("fill", {"blanks": []}, "blanks"),
        ("fill", {"blanks": [["a"], []]}, "between 1 and 20"),
        ("fill", {"blanks": [["a"]], "any_order": "yes"}, "true or false"),
        ("short", {"reference": "  "}, "reference"),
    ],
)
def test_invalid_specs_are_reported(code, spec, fragment):
    problems = get_type(code).validate(spec)
    assert problems and any(fragment in p for p in problems), problems


@pytest.mark.parametrize("spec", [None, [], "x", 3])
def test_unreadable_spec_is_one_problem(spec):
    assert get_type("single").validate(spec) == ["The answer data is not readable."]


def test_valid_specs_have_no_problems():
    assert get_type("single").validate(SINGLE) == []
    assert get_type("multiple").validate(MULTIPLE) == []
    assert get_type("judge").validate({"answer": True}) == []
    assert get_type("fill").validate(FILL) == []
    assert get_type("short").validate({"reference": "参考", "key_points": ["要点"]}) == []


def test_clean_keeps_known_keys_and_fills_defaults():
    assert get_type("multiple").clean({**MULTIPLE, "extra": 1}) == {
        **MULTIPLE,
        "partial_credit": 0.5,
    }
    assert get_type("fill").clean({"blanks": [[" a ", "A", "b"]]}) == {
        "blanks": [["a", "b"]],
        "any_order": False,
    }


def test_key_text_uses_the_template_notation():
    assert get_type("single").key_text(SINGLE) == "B"
    assert get_type("multiple").key_text(MULTIPLE) == "ACD"
    assert get_type("judge").key_text({"answer": False}) == "错"
    assert get_type("fill").key_text(FILL) == "为人民服务|全心全意为人民服务;;共产主义"


def test_normalise_stem_ignores_width_punctuation_spaces_and_case():
    assert normalise_stem("党的　最高领导机关是？（ ）") == normalise_stem("党的最高领导机关是()")
    assert normalise_stem("ＡＢＣ，abc!") == "abcabc"
    assert normalise_stem("") == ""


def test_widget_question_carries_no_key():
    widget = get_type("single").widget_question(
        "题干", SINGLE, field="q1", option_values=list("wxyz")
    )
    assert [o.value for o in widget.options] == list("wxyz")
    assert [o.label for o in widget.options] == list("ABCD")
    assert not hasattr(widget, "answer") and "answer" not in repr(widget)
    assert get_type("fill").widget_question("题干", FILL, field="q1").blanks == 2


def test_choice_indexes_maps_opaque_values_back():
    assert choice_indexes(["y", "w", "nope"], list("wxyz")) == [0, 2]


@pytest.mark.parametrize(
    ("stem", "blanks", "message"),
    [
        (
            "党的____和____。",
            [["全国代表大会"]],
            "The question text has 2 blanks (____) but answers are given for only 1: fill in "
            "one answer box per blank.",
        ),
        (
            "党的____。",
            [["全国代表大会"], ["中央委员会"]],
            "The question text has only 1 blank (____) but answers are given for 2: remove the "
            "extra answers, or mark each blank with ____.",
        ),
    ],
)
def test_fill_stem_problems_say_whether_answers_are_missing_or_extra(ctx, stem, blanks, message):
    spec = {"blanks": blanks, "any_order": False}
    assert TYPES["fill"].stem_problems(stem, spec) == [message]


@pytest.mark.parametrize(
    ("fraction", "percent", "points"),
    [(0.335, "33.5", D("0.67")), (0.5, "50", D("1.00")), (0.0, "0", D("0.00")), (1.0, "100", TWO)],
)
def test_partial_credit_percent_is_the_share_grading_uses(fraction, percent, points):
    from learnapp.question_bank.types import partial_credit_percent

    spec = {**MULTIPLE, "partial_credit": fraction}
    assert partial_credit_percent(spec) == percent
    assert grade("multiple", spec, [0, 2]).points == points
    assert D(percent) / 100 * TWO == grade("multiple", spec, [0, 2]).points.quantize(D("0.01"))


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (D("1"), "1 point"),
        (D("1.00"), "1 point"),
        (1, "1 point"),
        (D("1.5"), "1.5 points"),
        (D("0.5"), "0.5 points"),
        (D("2.00"), "2 points"),
        (D("0.01"), "0.01 points"),
        (None, "—"),
    ],
)
def test_points_are_singular_only_when_exactly_one(ctx, value, label):
    from learnapp.question_bank.types import points_label

    assert points_label(value) == label


def test_points_read_as_fen_in_chinese(app):
    from flask_babel import force_locale

    from learnapp.question_bank.types import points_label

    with app.test_request_context(), force_locale("zh_Hans"):
        assert [points_label(D(v)) for v in ("1", "1.5", "2.00")] == ["1 分", "1.5 分", "2 分"]
