"""What the pages may show. The taking screen is rendered from `TakingQuestion`, which is built
from the stem, the option texts in their frozen order and the opaque ids only: it has no key,
explanation or source field, so no template can leak them (E1). `ReviewQuestion` carries the key
and is built only when `queries.review_open` says so."""

from dataclasses import dataclass
from decimal import Decimal

from learnapp.question_bank.types import LETTERS, WidgetQuestion, get_type
from learnapp.quizzes.responses import widget_state


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


@dataclass(frozen=True)
class ReviewQuestion:
    position: int
    version_id: int
    type_label: str
    stem: str
    options: list[ReviewOption]
    answer_text: str
    key_text: str
    awarded: Decimal | None
    points: Decimal
    is_correct: bool | None
    explanation: str
    source: str
    marker_comment: str


def _answer_text(slot) -> str:
    response = slot.response or {}
    if slot.question_type == "judge" and "value" in response:
        return "对" if response["value"] else "错"
    if slot.question_type == "fill":
        return " | ".join(response.get("blanks", []))
    if slot.question_type == "short":
        return response.get("text", "")
    return ""


def review_questions(slots) -> list[ReviewQuestion]:
    items = []
    for slot in slots:
        version = slot.version
        spec = version.spec
        kind = get_type(slot.question_type)
        response = slot.response or {}
        options = []
        if slot.question_type in ("single", "multiple"):
            chosen = set(response.get("choices", [])) | (
                {response["choice"]} if "choice" in response else set()
            )
            right = set(spec.get("answers", [])) | ({spec["answer"]} if "answer" in spec else set())
            options = [
                ReviewOption(
                    LETTERS[shown], spec["options"][index], index in chosen, index in right
                )
                for shown, index in enumerate(slot.option_order)
            ]
            key_text = "".join(o.label for o in options if o.correct)
            answer_text = "".join(o.label for o in options if o.chosen)
        else:
            key_text = kind.key_text(spec)
            answer_text = _answer_text(slot)
        source = " ".join(p for p in (version.source_document, version.source_version) if p)
        items.append(
            ReviewQuestion(
                position=slot.position,
                version_id=slot.version_id,
                type_label=str(kind.short_label),
                stem=version.stem,
                options=options,
                answer_text=answer_text,
                key_text=key_text,
                awarded=slot.awarded,
                points=slot.points,
                is_correct=slot.is_correct,
                explanation=version.explanation,
                source=source,
                marker_comment=slot.marker_comment,
            )
        )
    return items
