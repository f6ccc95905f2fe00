"""The scoring arithmetic: weights, leaving out what does not apply, per-item and total caps."""

from decimal import Decimal

from learnapp.assessments.rules import COMPONENTS, DEFAULT_RULES, ScoreRules, capped_sum, score

RULES = ScoreRules.from_json(DEFAULT_RULES)


def test_default_weights_add_up_to_100():
    assert RULES.base_max == 100


def test_full_evidence_scores_the_maximum():
    shares = dict.fromkeys(RULES.weights, 1)
    assert score(RULES, shares).total == Decimal("100.00")


def test_score_is_the_weighted_sum_of_shares():
    shares = {"hours": 0.5, "courses": 1, "exams": 0, "attendance": 1, "contributions": 0.25}
    # 40·0.5 + 20 + 0 + 15 + 10·0.25
    assert score(RULES, shares).base == Decimal("57.50")


def test_components_that_do_not_apply_are_left_out_and_the_rest_scaled_up():
    shares = {"hours": None, "courses": None, "exams": None, "attendance": 0.5, "contributions": 1}
    result = score(RULES, shares)
    # (15·0.5 + 10) / 25 · 100
    assert result.base == Decimal("70.00")
    assert result.parts["hours"] is None


def test_nothing_applicable_gives_the_full_base():
    assert score(RULES, dict.fromkeys(RULES.weights)).base == Decimal("100")


def test_each_item_and_each_side_is_capped():
    assert capped_sum([Decimal(8), Decimal(2)], Decimal(5), Decimal(10)) == Decimal(7)
    assert capped_sum([Decimal(5)] * 5, Decimal(5), Decimal(10)) == Decimal(10)
    result = score(RULES, dict.fromkeys(RULES.weights, 1), [Decimal(50)], [Decimal(3)])
    assert result.bonus == Decimal("5.00")
    assert result.total == Decimal("102.00")


def test_score_never_goes_below_zero():
    result = score(RULES, dict.fromkeys(RULES.weights, 0), [], [Decimal(10)] * 5)
    assert result.total == Decimal("0.00")


def test_shares_outside_zero_to_one_are_clamped():
    assert score(RULES, dict.fromkeys(RULES.weights, 3)).base == Decimal("100.00")


def test_zero_weights_drop_the_component():
    rules = ScoreRules.from_json({"weights": {"hours": "100", "exams": "0"}})
    assert set(rules.weights) == {"hours"}


def test_the_base_is_the_sum_of_the_components_as_shown():
    shares = {
        "hours": 0.5781,
        "courses": 0.5,
        "exams": 1,
        "attendance": 0.1176,
        "contributions": 0.75,
    }
    result = score(RULES, shares, [Decimal("1.5")], [Decimal("0.25")])
    # Unrounded: 23.124 + 10 + 15 + 1.764 + 7.5 = 57.388, which would show as 57.39.
    assert [result.parts[name] for name in COMPONENTS] == [
        Decimal("23.12"),
        Decimal("10.00"),
        Decimal("15.00"),
        Decimal("1.76"),
        Decimal("7.50"),
    ]
    assert result.base == Decimal("57.38")
    assert result.total == Decimal("58.63")


def test_a_component_is_rounded_half_up_to_the_cent():
    shares = {"hours": 0, "courses": 0, "exams": 0, "attendance": 0, "contributions": "0.0005"}
    result = score(RULES, shares)
    assert result.parts["contributions"] == Decimal("0.01")
    assert result.base == Decimal("0.01")


def test_full_marks_stay_full_when_the_applicable_weights_do_not_divide_evenly():
    applies = {"hours": None, "attendance": None}
    result = score(RULES, {**applies, "courses": 1, "exams": 1, "contributions": 1})
    # Courses 20, exams 15 and posts 10 of 45 scale to 44.444…, 33.333… and 22.222…; the spare
    # cent goes to the first.
    assert [result.parts[name] for name in ("courses", "exams", "contributions")] == [
        Decimal("44.45"),
        Decimal("33.33"),
        Decimal("22.22"),
    ]
    assert result.base == Decimal("100.00")
    half = score(RULES, {**applies, "courses": 0.5, "exams": 0.5, "contributions": 0.5})
    assert half.base == sum(p for p in half.parts.values() if p is not None)
