"""The scoring arithmetic: weights, leaving out what does not apply, per-item and total caps."""

from decimal import Decimal

from learnapp.assessments.rules import DEFAULT_RULES, ScoreRules, capped_sum, score

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
