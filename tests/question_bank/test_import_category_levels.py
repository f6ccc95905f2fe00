"""Moodle's own category levels never become knowledge points, in GIFT and Moodle XML alike: the
context ($course$ …), `top`, and its default category "Default for X" (默认 X on a Chinese site),
read as X or dropped when the level above it is X."""

import pytest

from learnapp.question_bank.formats import gift, moodle_xml

PATHS = [
    ("$course$/top/Default for 党章/第一章", ["党章", "第一章"]),
    ("$course$/top/Default for 党章", ["党章"]),
    ("$course$/top/党章/Default for 党章/第一章 党员", ["党章", "第一章 党员"]),
    ("$module$/top/默认 党章测验/总纲", ["党章测验", "总纲"]),
    ("$system$/top/default for 题库", ["题库"]),
    ("$cat$/Default for 基础知识/党史", ["基础知识", "党史"]),
    ("党章/Default for 第一章", ["党章", "第一章"]),
    ("$course$/top", ["默认知识点"]),
    ("党章/默认设置", ["党章", "默认设置"]),
]


def gift_points(path: str) -> list[str]:
    result = gift.parse(f"$CATEGORY: {path}\n\n问题 {{T}}".encode(), "", ["默认知识点"])
    assert result.errors == [] and result.warnings == []
    return result.questions[0].draft.knowledge_point


def xml_points(path: str) -> list[str]:
    data = (
        '<quiz><question type="category"><category><text>'
        + path
        + '</text></category></question><question type="truefalse"><name><text>n</text></name>'
        '<questiontext format="html"><text>问题</text></questiontext>'
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    ).encode()
    result = moodle_xml.parse(data, "", ["默认知识点"])
    assert result.errors == []
    return result.questions[0].draft.knowledge_point


@pytest.mark.parametrize(("path", "points"), PATHS)
def test_gift_categories_drop_moodles_own_levels(ctx, path, points):
    assert gift_points(path) == points


@pytest.mark.parametrize(("path", "points"), PATHS)
def test_moodle_xml_categories_read_as_gift_categories_do(ctx, path, points):
    assert xml_points(path) == points
