"""A rule set's figures of 学时 come with the two places the ledger shows, whatever the JSON
holds ("4.0", "32"), and keep their value."""

from decimal import Decimal

from learnapp.hours.rules import DEFAULT_RULES, Rules


def test_rule_figures_have_two_places_like_the_ledger():
    rules = Rules.from_json(DEFAULT_RULES)
    assert str(rules.daily_online_cap_hours) == "4.00"
    assert str(rules.annual_target_hours) == "32.00"
    assert str(rules.leader_target_hours) == "56.00"
    assert str(rules.daily_self_study_cap_hours) == "8.00"
    assert str(rules.final_test_bonus_hours) == "0.50"
    assert [str(hours) for _, hours in rules.lesson_bands] == ["1.00", "0.50", "0.25"]
    assert {k: str(v) for k, v in rules.session_hours.items()} == {
        "per_hour": "1.00",
        "half_day": "4.00",
        "full_day": "8.00",
    }


def test_a_finer_figure_keeps_its_value():
    rules = Rules.from_json({**DEFAULT_RULES, "daily_online_cap_hours": "2.125"})
    assert rules.daily_online_cap_hours == Decimal("2.125")
    assert str(Rules.from_json(rules.to_json()).daily_online_cap_hours) == "2.125"
