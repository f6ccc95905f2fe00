"""The sensitive-word engine: Aho–Corasick, normalisation, the allowlist and live list changes."""

import random

import pytest

from learnapp.discussions.models import WordAction
from learnapp.discussions.moderation.ahocorasick import Automaton
from learnapp.discussions.moderation.engine import Matcher, check_text, highlight
from learnapp.discussions.moderation.normalize import normalise
from learnapp.discussions.moderation.spam import spam_signals
from learnapp.discussions.services import wordlists
from tests.discussions.factories import make_word_lists
from tests.factories import FIXED_NOW


def matches(automaton, text):
    """(start, end, payload) of every occurrence, sorted; end is exclusive."""
    return sorted(
        (end - length, end, payload)
        for end, output in automaton.outputs_at(text)
        for length, payload in output
    )


def naive(patterns, text):
    return sorted(
        (i, i + len(p), p)
        for p in set(patterns)
        for i in range(len(text) - len(p) + 1)
        if text.startswith(p, i)
    )


def test_aho_corasick_reports_overlapping_and_nested_patterns():
    patterns = ["he", "she", "his", "hers", "e", "sh"]
    automaton = Automaton((p, p) for p in patterns)
    found = matches(automaton, "ushers")
    assert found == naive(patterns, "ushers")
    assert (1, 4, "she") in found and (2, 4, "he") in found and (2, 6, "hers") in found


def test_aho_corasick_agrees_with_brute_force_on_random_texts():
    rng = random.Random(7)
    for _ in range(200):
        alphabet = "ab党史"
        patterns = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(8)
        ]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert matches(Automaton((p, p) for p in patterns), text) == naive(patterns, text)


@pytest.mark.parametrize("budget", [0, 5, 200_000])
def test_remembered_transitions_change_no_result(monkeypatch, budget):
    """One automaton scans many texts; with the edge budget spent or not, it finds the same."""
    from learnapp.discussions.moderation import ahocorasick

    monkeypatch.setattr(ahocorasick, "LEARNED_EDGES", budget)
    rng = random.Random(11)
    alphabet = "ab党史c"
    patterns = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(30)]
    automaton = Automaton((p, p) for p in patterns)
    for _ in range(100):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert matches(automaton, text) == naive(patterns, text)
    assert automaton._learned <= budget


def test_empty_patterns_and_texts_match_nothing():
    assert matches(Automaton([("", 1)]), "abc") == []
    assert matches(Automaton([("a", 1)]), "") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full width
        ("賭博網站", "赌博网站"),  # traditional
        ("赌.博 网-站", "赌博网站"),  # noise between letters
        ("赌\u200b博\u202e网站", "赌博网站"),  # zero width and bidi controls
        ("ShE", "she"),
    ],
)
def test_normalisation(raw, expected):
    assert normalise(raw)[0] == expected


def test_normalisation_keeps_positions_in_the_original_text():
    folded, positions = normalise("a，Ｂ c")
    assert folded == "abc"
    assert positions == [0, 2, 4]


def matcher():
    return Matcher(
        [
            ("赌博网站", "广告", WordAction.BLOCK),
            ("上访", "信访", WordAction.REVIEW),
            ("安门", "测试", WordAction.REVIEW),
            ("红旗", "测试", WordAction.PASS),
        ],
        ["天安门", "五星红旗"],
    )


def test_evasions_are_caught_and_located_in_the_original_text():
    text = "快来 賭·博·網·站 看看"
    verdict = matcher().check(text)
    assert verdict.action == WordAction.BLOCK
    (hit,) = verdict.hits
    assert text[hit.start : hit.end] == "賭·博·網·站"
    assert highlight(text, verdict.hits) == [
        ("快来 ", False),
        ("賭·博·網·站", True),
        (" 看看", False),
    ]


def test_allowlisted_vocabulary_masks_matches_inside_it():
    m = matcher()
    assert m.check("我们在天安门广场升五星红旗").action is None
    # Outside an allowlisted span the same term is still found.
    assert m.check("安门").action == WordAction.REVIEW
    assert m.check("红旗渠").action == WordAction.PASS


def test_the_worst_action_wins():
    assert matcher().check("上访 赌博网站").action == WordAction.BLOCK
    assert matcher().check("上访").action == WordAction.REVIEW
    assert matcher().check("学习党史").action is None


def test_list_changes_take_effect_without_restart(ctx, session):
    make_word_lists(session)
    assert check_text(session, "反映维权问题").action == WordAction.REVIEW
    category = wordlists.create_category(session, None, "新增", WordAction.BLOCK, FIXED_NOW)
    wordlists.add_terms(session, None, category, "理财群", FIXED_NOW)
    assert check_text(session, "加入理财群").action == WordAction.BLOCK
    wordlists.set_category_action(session, None, category, WordAction.PASS, FIXED_NOW)
    assert check_text(session, "加入理财群").action == WordAction.PASS
    wordlists.add_allowed(session, None, "加入理财群", FIXED_NOW)
    assert check_text(session, "加入理财群").action is None


def test_party_vocabulary_is_never_flagged(ctx, session):
    make_word_lists(session)
    verdict = check_text(session, "学习党史，认真研读《中国共产党章程》，在天安门广场瞻仰五星红旗")
    assert verdict.action is None


@pytest.mark.parametrize(
    "text",
    [
        " ".join(f"https://spam{i}.example/p" for i in range(7)),
        "看看 " + " ".join(f"[链接](https://x{i}.example)" for i in range(4)),
        "、".join(
            [
                "贷款",
                "股票",
                "彩票",
                "代购",
                "兼职",
                "减肥",
                "美容",
                "旅游",
                "招聘",
                "二手",
                "租房",
                "考证",
                "留学",
                "保险",
                "装修",
                "婚恋",
            ]
        ),
    ],
)
def test_scraped_page_spam_is_flagged(text):
    assert spam_signals(text)


def test_ordinary_posts_are_not_spam():
    text = (
        "这次学习让我深受触动。我们要坚持理论联系实际，把学习成果转化为推动工作的动力。"
        "参考资料见 https://www.12371.cn/ 。"
    )
    assert spam_signals(text) == []
    # Three Markdown links in a paragraph of prose: each counted once.
    sources = "、".join(f"[第{i}篇](https://www.12371.cn/{i}.html)" for i in range(3))
    assert spam_signals(f"{text}推荐阅读：{sources}。{text}") == []


def test_the_fast_normalisation_agrees_with_the_reference_on_random_text():
    from learnapp.discussions.moderation.normalize import normalise, normalise_slowly

    rng = random.Random(7)
    alphabet = "党史學習ＡＢｃ１２ 　.，·\u200b\u00ad㈱ﬁ黨員e\u0301"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert normalise(text) == normalise_slowly(text), text
