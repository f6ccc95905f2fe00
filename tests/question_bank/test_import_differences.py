"""The preview shows two values of a setting cut around where they first differ, so that what it
says differs can be seen."""

from learnapp.question_bank.import_differences import Excerpt, around_difference

HEAD = "1949年10月1日，中华人民共和国中央人民政府成立，" * 3  # 81 characters


def test_short_values_are_shown_whole():
    assert around_difference("党员", "全体人员") == Excerpt("党员", "全体人员", False)
    assert around_difference("", "甲" * 60) == Excerpt("", "甲" * 60, False)


def test_long_values_differing_at_their_end_show_their_ends():
    shown = around_difference(HEAD + "毛泽东宣告", HEAD + "毛泽东主席宣告")
    assert shown.cut and shown.before != shown.after
    assert shown.before.startswith("…") and shown.before.endswith("毛泽东宣告")
    assert shown.after.startswith("…") and shown.after.endswith("毛泽东主席宣告")
    # The first difference comes LEAD characters into the window.
    assert shown.before == "…" + (HEAD + "毛泽东宣告")[len(HEAD) + 3 - 20 :]


def test_a_difference_near_the_start_shows_the_start_of_both():
    before, after = "甲" + "乙" * 100, "丙" + "乙" * 100
    shown = around_difference(before, after)
    assert shown == Excerpt("甲" + "乙" * 59 + "…", "丙" + "乙" * 59 + "…", True)


def test_a_value_the_other_only_extends_shows_where_the_extension_starts():
    shown = around_difference(HEAD, HEAD + "毛泽东宣告。")
    assert shown.before == "…" + HEAD[-20:]
    assert shown.after == "…" + HEAD[-20:] + "毛泽东宣告。"


def test_a_long_value_against_a_short_one_cuts_only_the_long_one():
    shown = around_difference("短", "长" * 100)
    assert shown == Excerpt("短", "长" * 60 + "…", True)


def test_the_window_has_the_width_asked_for():
    before, after = "甲" * 50 + "乙" * 50, "甲" * 50 + "丙" * 50
    shown = around_difference(before, after, width=10, lead=2)
    assert shown == Excerpt("…甲甲乙乙乙乙乙乙乙乙…", "…甲甲丙丙丙丙丙丙丙丙…", True)
