"""The written-answer types: fill in the blanks (填空) and short answer (简答)."""

import re
from decimal import Decimal

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from learnapp.question_bank.types.base import (
    MAX_BLANKS,
    MAX_LONG_TEXT,
    MAX_SYNONYMS,
    Grade,
    QuestionType,
    WidgetQuestion,
    _fold,
    _money,
    _text_list_problems,
)

# A blank in a 填空 stem: three or more underscores (the template and the help say ____).
BLANK = re.compile(r"_{3,}")


def blank_count(stem: str) -> int:
    """How many blanks (____) the stem marks."""
    return len(BLANK.findall(stem or ""))


def _blank_key(text: str) -> str:
    """A blank's comparison form: as `_fold`, and without any spaces (全国 代表大会 is
    全国代表大会; members type stray spaces, full-width ones too, into Chinese answers)."""
    return "".join(_fold(text).split())


class FillBlanks(QuestionType):
    code = "fill"
    label = _l("Fill in the blanks (填空)")
    short_label = _l("Fill")

    def _problems(self, spec):
        blanks = spec.get("blanks")
        if not isinstance(blanks, list) or not 1 <= len(blanks) <= MAX_BLANKS:
            return [gettext("Between 1 and %(n)d blanks are needed.", n=MAX_BLANKS)]
        problems = []
        for number, accepted in enumerate(blanks, start=1):
            for problem in _text_list_problems(
                accepted, gettext("Answers of blank %(n)d", n=number), 1, MAX_SYNONYMS
            ):
                problems.append(problem)
        if not isinstance(spec.get("any_order", False), bool):
            problems.append(gettext("“Any order” must be true or false."))
        return problems

    def stem_problems(self, stem, spec):
        """The stem marks each blank with ____, one per blank of answers (the importer's rule)."""
        count, answers = blank_count(stem), len(spec["blanks"])
        if count == 0:
            return [gettext("Mark each blank in the stem with ____ (four underscores).")]
        if answers < count:
            return [
                ngettext(
                    "The question text has %(num)d blank (____) but answers are given for only "
                    "%(answers)d: fill in one answer box per blank.",
                    "The question text has %(num)d blanks (____) but answers are given for only "
                    "%(answers)d: fill in one answer box per blank.",
                    count,
                    answers=answers,
                )
            ]
        if answers > count:
            return [
                ngettext(
                    "The question text has only %(num)d blank (____) but answers are given for "
                    "%(answers)d: remove the extra answers, or mark each blank with ____.",
                    "The question text has only %(num)d blanks (____) but answers are given for "
                    "%(answers)d: remove the extra answers, or mark each blank with ____.",
                    count,
                    answers=answers,
                )
            ]
        return []

    def clean(self, spec):
        blanks = []
        for accepted in spec["blanks"]:
            seen, kept = set(), []
            for answer in accepted:
                if _blank_key(answer) not in seen:
                    seen.add(_blank_key(answer))
                    kept.append(answer.strip())
            blanks.append(kept)
        return {"blanks": blanks, "any_order": bool(spec.get("any_order", False))}

    def _matches(self, spec, response) -> int:
        """How many blanks the response fills correctly (best assignment when any order)."""
        accepted = [{_blank_key(a) for a in blank} for blank in spec["blanks"]]
        given = [_blank_key(r) for r in (response or [])][: len(accepted)]
        if not spec.get("any_order"):
            return sum(1 for g, ok in zip(given, accepted, strict=False) if g and g in ok)
        # Maximum bipartite matching (answers × blanks); a handful of blanks, so augmenting paths.
        owner: dict[int, int] = {}

        def assign(answer: int, seen: set[int]) -> bool:
            for blank, ok in enumerate(accepted):
                if blank in seen or given[answer] not in ok:
                    continue
                seen.add(blank)
                if blank not in owner or assign(owner[blank], seen):
                    owner[blank] = answer
                    return True
            return False

        return sum(1 for answer in range(len(given)) if given[answer] and assign(answer, set()))

    def grade(self, spec, response, points):
        """Each blank is worth an equal share; correct only when every blank is."""
        points = Decimal(points)
        if isinstance(response, str):
            response = [response]
        right = self._matches(spec, response)
        total = len(spec["blanks"])
        earned = points if right == total else points * right / total
        return Grade(_money(earned), _money(points), right == total, False)

    def key_text(self, spec):
        return ";;".join("|".join(blank) for blank in spec["blanks"])

    def widget_question(self, stem, spec, *, field, option_values=None):
        return WidgetQuestion(
            type=self.code, stem=stem, field=field, blanks=len(spec.get("blanks", []))
        )


class ShortAnswer(QuestionType):
    code = "short"
    label = _l("Short answer (简答)")
    short_label = _l("Short")

    def _problems(self, spec):
        problems = []
        reference = spec.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            problems.append(gettext("A reference answer is required."))
        elif len(reference) > MAX_LONG_TEXT:
            problems.append(
                gettext("The reference answer is longer than %(n)d characters.", n=MAX_LONG_TEXT)
            )
        key_points = spec.get("key_points", [])
        if key_points:
            problems += _text_list_problems(key_points, gettext("Key points"), 0, 20)
        return problems

    def clean(self, spec):
        return {
            "reference": spec["reference"].strip(),
            "key_points": [p.strip() for p in spec.get("key_points") or []],
        }

    def grade(self, spec, response, points):
        return Grade(_money(0), _money(Decimal(points)), None, True)

    def key_text(self, spec):
        return spec["reference"]
