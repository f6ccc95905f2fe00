"""What the pages may show. The taking screen is rendered from `TakingQuestion`, which is built
from the stem, the option texts in their frozen order and the opaque ids only: it has no key,
explanation or source field, so no template can leak them (E1). `ReviewQuestion` carries the key
and is built only for a question `release.question_withholdings` holds nothing back of."""

import enum
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext

from learnapp.question_bank.types import LETTERS, WidgetQuestion, get_type
from learnapp.quizzes.attempts import is_overdue
from learnapp.quizzes.models import AttemptState
from learnapp.quizzes.release import Withheld, Withholding
from learnapp.quizzes.responses import widget_state


@dataclass(frozen=True)
class RunningAttempt:
    """An attempt in progress as the quiz list and the home page flag it, with the time left
    to the server's deadline (None: no deadline), rounded up to whole minutes."""

    attempt: object  # models.Attempt
    minutes_left: int | None


def running_attempts(attempts, now: datetime) -> dict[int, RunningAttempt]:
    """The attempts still in progress now, by quiz id. One past its deadline and grace is over,
    whatever its state says until the sweep or the next page open finishes it."""
    running = {}
    for attempt in attempts:
        if attempt.state != AttemptState.IN_PROGRESS or is_overdue(attempt, now):
            continue
        left = None
        if attempt.deadline_at is not None:
            seconds = (attempt.deadline_at - now).total_seconds()
            left = max(0, math.ceil(seconds / 60))
        running[attempt.quiz_id] = RunningAttempt(attempt, left)
    return running


@dataclass(frozen=True)
class TakingQuestion:
    position: int
    widget: WidgetQuestion
    seq: int
    state: dict
    points: Decimal
    answered: bool


def _display_spec(slot) -> dict:
    spec = slot.version.spec
    if slot.question_type in ("single", "multiple"):
        return {"options": [spec["options"][index] for index in slot.option_order]}
    if slot.question_type == "fill":
        return {"blanks": [[] for _ in spec.get("blanks", [])]}
    return {}


def taking_questions(slots, posted: dict | None = None) -> list[TakingQuestion]:
    """The taking screen's questions with their saved answers, or with `posted` answers
    (position → response in the stored form) where a refused post brought them back (E16)."""
    posted = posted or {}
    questions = []
    for slot in slots:
        response = posted.get(slot.position, slot.response)
        widget = get_type(slot.question_type).widget_question(
            slot.version.stem,
            _display_spec(slot),
            field=f"q{slot.position}",
            option_values=list(slot.option_ids) or None,
        )
        questions.append(
            TakingQuestion(
                position=slot.position,
                widget=widget,
                seq=slot.seq,
                state=widget_state(slot, response),
                points=slot.points,
                answered=response is not None,
            )
        )
    return questions


@dataclass(frozen=True)
class ReviewOption:
    label: str
    text: str
    chosen: bool
    correct: bool


class Outcome(enum.StrEnum):
    """How a reviewed answer did: its mark on the result page and in the 错题本."""

    CORRECT = "correct"
    PARTIAL = "partial"  # some points, not all (多选 subset, some blanks, a 简答 marked below full)
    WRONG = "wrong"
    UNANSWERED = "unanswered"  # no answer given: no points, and not a wrong answer either
    PENDING = "pending"  # a 简答 waiting for its marker


@dataclass(frozen=True)
class ReviewQuestion:
    position: int
    version_id: int
    type_label: str
    stem: str
    options: list[ReviewOption]
    answered: bool  # the member gave an answer (the page says 未作答, not wrong, if not)
    answer_text: str  # choice letters, the true/false label or the 简答 text; "" unanswered
    answer_blanks: list[str]  # 填空: the member's answer, one line per blank
    key_text: str  # choice letters, the true/false label or the 简答 reference answer
    key_blanks: list[str]  # 填空: the accepted answers, one line per blank
    key_points: list[str]  # 简答: the points a marker looks for (得分要点)
    any_order: bool  # 填空: the blanks may be filled in any order
    awarded: Decimal | None
    points: Decimal
    is_correct: bool | None
    explanation: str
    source: str
    marker_comment: str
    regraded: bool  # marked with the key of a corrected version, not the one asked

    @property
    def outcome(self) -> Outcome:
        if self.is_correct:
            return Outcome.CORRECT
        if not self.answered:
            return Outcome.UNANSWERED
        if self.awarded is None:
            return Outcome.PENDING
        return Outcome.PARTIAL if self.awarded > 0 else Outcome.WRONG

    @property
    def reference_is_key_points(self) -> bool:
        """An imported 简答 stores its key points as the reference answer too: listed once."""
        return self.key_points == [line.strip() for line in self.key_text.splitlines() if line]


def judge_label(value: bool) -> str:
    """A true/false answer in the page's language (对/错 are only the import notation)."""
    return gettext("True") if value else gettext("False")


def blank_line(number: int, text: str) -> str:
    return gettext("Blank %(n)s: %(answer)s", n=number, answer=text or "—")


def key_blank_lines(spec: dict) -> list[str]:
    """The accepted answers of each blank: the first, then its synonyms (“or: …”)."""
    lines = []
    for number, accepted in enumerate(spec.get("blanks", []), start=1):
        first, others = (accepted[0], accepted[1:]) if accepted else ("", [])
        text = first
        if others:
            text = gettext("%(answer)s (or: %(others)s)", answer=first, others=" / ".join(others))
        lines.append(blank_line(number, text))
    return lines


def answer_blank_lines(spec: dict, response: dict | None) -> list[str]:
    """The member's answer to each blank; empty when nothing was written."""
    given = (response or {}).get("blanks", [])
    if not any(given):
        return []
    count = max(len(spec.get("blanks", [])), len(given))
    return [
        blank_line(number, given[number - 1] if number <= len(given) else "")
        for number in range(1, count + 1)
    ]


def _answer_text(slot) -> str:
    response = slot.response or {}
    if slot.question_type == "judge" and "value" in response:
        return judge_label(response["value"])
    if slot.question_type == "short":
        return response.get("text", "")
    return ""


def review_question(slot) -> ReviewQuestion:
    """One answered question with its key, for a page that may show it
    (`release.question_withholdings`). The stem, options and answer are those the member was
    asked; the key, explanation and source are those of the version the mark comes from (a
    regrade may have used a corrected one)."""
    asked = slot.version.spec
    keyed = slot.key_version
    spec = keyed.spec
    kind = get_type(slot.question_type)
    response = slot.response or {}
    options = []
    answer_blanks, key_blanks, key_points = [], [], []
    if slot.question_type in ("single", "multiple"):
        chosen = set(response.get("choices", [])) | (
            {response["choice"]} if "choice" in response else set()
        )
        right = set(spec.get("answers", [])) | ({spec["answer"]} if "answer" in spec else set())
        options = [
            ReviewOption(LETTERS[shown], asked["options"][index], index in chosen, index in right)
            for shown, index in enumerate(slot.option_order)
        ]
        key_text = "".join(o.label for o in options if o.correct)
        answer_text = "".join(o.label for o in options if o.chosen)
    elif slot.question_type == "judge":
        key_text, answer_text = judge_label(spec["answer"]), _answer_text(slot)
    elif slot.question_type == "fill":
        key_text, answer_text = "", ""
        key_blanks = key_blank_lines(spec)
        answer_blanks = answer_blank_lines(asked, response)
    else:
        key_text, answer_text = kind.key_text(spec), _answer_text(slot)
        key_points = list(spec.get("key_points") or [])
    source = " ".join(p for p in (keyed.source_document, keyed.source_version) if p)
    return ReviewQuestion(
        position=slot.position,
        version_id=slot.version_id,
        type_label=str(kind.short_label),
        stem=slot.version.stem,
        options=options,
        answered=slot.response is not None,
        answer_text=answer_text,
        answer_blanks=answer_blanks,
        key_text=key_text,
        key_blanks=key_blanks,
        key_points=key_points,
        any_order=bool(spec.get("any_order")) and len(key_blanks) > 1,
        awarded=slot.awarded,
        points=slot.points,
        is_correct=slot.is_correct,
        explanation=keyed.explanation,
        source=source,
        marker_comment=slot.marker_comment,
        regraded=slot.graded_version_id is not None,
    )


@dataclass(frozen=True)
class ResultItem:
    """A question of the result page: `review` with its key where the member may see it, else
    only the stem and why it waits (`withheld`): a question of an attempt they are answering
    now, or of an exam of theirs that withholds it, as the 错题本 says."""

    position: int
    type_label: str
    stem: str
    review: ReviewQuestion | None
    withheld: Withholding | None


def result_items(slots, held: dict) -> list[ResultItem]:
    """The result page's questions; `held` maps each slot's id to why its review is withheld
    (None: it is not; `release.question_withholdings`)."""
    items = []
    for slot in slots:
        withheld = held[slot.id]
        items.append(
            ResultItem(
                position=slot.position,
                type_label=str(get_type(slot.question_type).short_label),
                stem=slot.version.stem,
                review=review_question(slot) if withheld is None else None,
                withheld=withheld,
            )
        )
    return items


@dataclass(frozen=True)
class WrongBookItem:
    """An entry of the 错题本 as the page shows it. `review` is the member's last wrong answer
    with its key and explanation, present only when the member may see it
    (`release.question_withholdings`: its results are out, and the question is neither in an
    attempt they are answering now nor in an exam of theirs that withholds it); otherwise
    `withheld` says why the key is not shown, as the result page would."""

    entry: object  # models.WrongAnswer
    stem: str
    type_label: str
    review: ReviewQuestion | None
    withheld: Withholding | None
    # The answer the book goes by was none: the question was left unanswered, not got wrong.
    unanswered: bool


def wrong_book_items(entries, reviews: dict) -> list[WrongBookItem]:
    """The 错题本's entries with what each may show: `reviews` maps a question id to the
    member's wrong answer the book goes by and why its key is withheld (None: it is not;
    `queries.wrong_answer_reviews`)."""
    items = []
    for entry in entries:
        slot, withheld = reviews.get(entry.question_id, (None, Withholding(Withheld.REMARKED)))
        review = review_question(slot) if withheld is None else None
        version = slot.version if review is not None else entry.version
        items.append(
            WrongBookItem(
                entry=entry,
                stem=version.stem,
                type_label=str(get_type(entry.version.question.type).short_label),
                review=review,
                withheld=withheld,
                unanswered=slot is not None and slot.response is None,
            )
        )
    return items


CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O, which read as 1 and 0
CODE_LENGTH = 8


def answer_code(slot_id: int, secret: str | bytes) -> str:
    """The code a marker knows a 简答 answer by (marking is anonymous): letters drawn from an
    HMAC of the answer's id under the application's secret key, so it holds no number and tells
    neither the id nor the order in which answers were given; the same answer has the same code
    on every page."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"marking-answer:{slot_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_LETTERS))
        letters.append(CODE_LETTERS[index])
    return "".join(letters)


@dataclass(frozen=True)
class MarkingItem:
    slot: object  # models.AttemptQuestion
    code: str


def marking_items(slots, secret: str | bytes) -> list[MarkingItem]:
    """The marking queue as the marker sees it: by quiz, then by question (one question marked
    across its answers), then by code; never in the order the answers were given, which the
    quiz report's list of who waits for a marker would tie to names."""
    items = [MarkingItem(slot, answer_code(slot.id, secret)) for slot in slots]
    return sorted(items, key=lambda i: (i.slot.attempt.quiz_id, i.slot.question_id, i.code))
