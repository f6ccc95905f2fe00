"""Question bank forms: one authoring form per type (validation only) and the action forms.

Each authoring form turns itself into a QuestionDraft (`draft()`) and fills itself from one
(`load()`); the service validates the draft with the type, and its DomainError lands on the form.
"""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from learnapp.forms import AppForm
from learnapp.question_bank.draft import QuestionDraft, split_path
from learnapp.question_bank.formats.common import DEFAULT_POINTS
from learnapp.question_bank.models import AUDIENCE_LABELS, Audience
from learnapp.question_bank.types import (
    LETTERS,
    MAX_BLANKS,
    MAX_OPTIONS,
    MAX_STEM,
    MAX_TEXT,
    partial_credit_percent,
)

TAG_SEPARATORS = re.compile(r"[,，、;；]")
SYNONYM_SEPARATORS = re.compile(r"[|｜]")
DIFFICULTY_CHOICES = [SelectChoice(n, str(n)) for n in range(1, 6)]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def opened_revision(value) -> int:
    """The question revision a page was opened at, as its form posts it back; 0, which no
    question has, when it is missing or not a number: the page is then treated as stale."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else 0


def split_tags(text: str) -> list[str]:
    """The tags typed in one field: 学习，重点、党章 is three (the help says: separate tags with
    commas; full-width commas, 、 and semicolons separate too)."""
    return [tag.strip() for tag in TAG_SEPARATORS.split(text or "") if tag.strip()]


class QuestionForm(AppForm):
    """The metadata every type shares."""

    stem = TextAreaField(
        _l("Question text"),
        validators=[DataRequired(), Length(max=MAX_STEM)],
        render_kw={"rows": 3},
    )
    points = DecimalField(
        _l("Points"), places=2, validators=[InputRequired(), NumberRange(0.01, 100)]
    )
    difficulty = SelectField(_l("Difficulty"), coerce=int, choices=DIFFICULTY_CHOICES, default=2)
    knowledge_point = StringField(
        _l("Knowledge point"),
        validators=[Length(max=300)],
        description=_l(
            "A path with / between levels, such as 党章/第一章 党员; new points are created."
        ),
    )
    tags = StringField(
        _l("Tags"), validators=[Length(max=300)], description=_l("Separate tags with commas.")
    )
    source_document = StringField(
        _l("Source (document and article)"),
        validators=[Length(max=200)],
        description=_l("e.g. 《中国共产党章程》第三条"),
    )
    source_version = StringField(
        _l("Source version or effective date"),
        validators=[Length(max=64)],
        description=_l("e.g. 2022-10-22"),
    )
    explanation = TextAreaField(
        _l("Explanation (解析)"), validators=[Length(max=5000)], render_kw={"rows": 3}
    )
    audience = SelectField(
        _l("Audience"),
        choices=[SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()],
        default=Audience.ALL.value,
    )
    # The question's revision when the edit form was opened (empty on a new question).
    revision = HiddenField()

    type_code = ""

    def __init__(self, *args, **kwargs):
        # A new question starts with the points an imported one of its type gets when the file
        # gives none, as the import template says.
        kwargs.setdefault("points", Decimal(DEFAULT_POINTS[self.type_code]))
        super().__init__(*args, **kwargs)

    def opened_revision(self) -> int:
        return opened_revision(self.revision.data)

    def build_spec(self) -> dict:
        raise NotImplementedError

    def load_spec(self, spec: dict) -> None:
        raise NotImplementedError

    def draft(self) -> QuestionDraft:
        return QuestionDraft(
            type=self.type_code,
            stem=self.stem.data or "",
            spec=self.build_spec(),
            points=self.points.data if self.points.data is not None else Decimal("0"),
            difficulty=self.difficulty.data,
            knowledge_point=split_path(self.knowledge_point.data),
            source_document=self.source_document.data or "",
            source_version=self.source_version.data or "",
            explanation=self.explanation.data or "",
            tags=split_tags(self.tags.data),
        )

    def load(self, draft: QuestionDraft, audience: Audience) -> None:
        self.stem.data = draft.stem
        self.points.data = Decimal(draft.points)
        self.difficulty.data = draft.difficulty
        self.knowledge_point.data = " / ".join(draft.knowledge_point)
        self.tags.data = ", ".join(draft.tags)
        self.source_document.data = draft.source_document
        self.source_version.data = draft.source_version
        self.explanation.data = draft.explanation
        self.audience.data = audience.value
        self.load_spec(draft.spec)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _letter_choices():
    return [SelectChoice(letter, letter) for letter in LETTERS[:MAX_OPTIONS]]


class ChoiceForm(QuestionForm):
    options = FieldList(
        StringField(_l("Option"), validators=[Length(max=MAX_TEXT)]),
        min_entries=MAX_OPTIONS,
        max_entries=MAX_OPTIONS,
    )

    def _compact(self) -> tuple[list[str], dict[str, int]]:
        """Filled options in order, and each filled slot's letter → its index among them."""
        texts, index_of = [], {}
        for slot, entry in enumerate(self.options.entries):
            if (entry.data or "").strip():
                index_of[LETTERS[slot]] = len(texts)
                texts.append(entry.data.strip())
        return texts, index_of

    def _load_options(self, options: list[str]) -> None:
        for slot, entry in enumerate(self.options.entries):
            entry.data = options[slot] if slot < len(options) else ""


class SingleForm(ChoiceForm):
    type_code = "single"
    answer = RadioField(_l("Right answer"), choices=_letter_choices(), validate_choice=False)

    def build_spec(self):
        texts, index_of = self._compact()
        # An answer on an empty option is left out of range, so the type reports it.
        return {"options": texts, "answer": index_of.get(self.answer.data or "", -1)}

    def load_spec(self, spec):
        self._load_options(spec["options"])
        self.answer.data = LETTERS[spec["answer"]]


class MultipleForm(ChoiceForm):
    type_code = "multiple"
    answers = MultiCheckboxField(
        _l("Right answers"), choices=_letter_choices(), validate_choice=False
    )
    # Typed as a percentage (50 = half the points), stored as the fraction the type grades with.
    partial_credit = DecimalField(
        _l("Points for a correct subset (%)"),
        places=None,
        default=Decimal("50"),
        validators=[
            Optional(),
            NumberRange(0, 100, message=_l("Enter a percentage from 0 to 100.")),
        ],
        description=_l(
            "Share of the points earned when some right answers and no wrong one are ticked: "
            "50 gives half the points, 0 none."
        ),
    )

    def build_spec(self):
        texts, index_of = self._compact()
        answers = [index_of.get(letter, -1) for letter in self.answers.data or []]
        percent = self.partial_credit.data
        if percent is None:
            percent = Decimal("50")
        return {"options": texts, "answers": answers, "partial_credit": float(percent / 100)}

    def load_spec(self, spec):
        self._load_options(spec["options"])
        self.answers.data = [LETTERS[i] for i in spec["answers"]]
        # Exactly the share grading uses (33.5 stays 33.5), written as people write it.
        self.partial_credit.data = Decimal(partial_credit_percent(spec))


class JudgeForm(QuestionForm):
    type_code = "judge"
    answer = RadioField(
        _l("Right answer"),
        choices=[SelectChoice("true", _l("True (对)")), SelectChoice("false", _l("False (错)"))],
        validators=[InputRequired()],
    )

    def build_spec(self):
        return {"answer": self.answer.data == "true"}

    def load_spec(self, spec):
        self.answer.data = "true" if spec["answer"] else "false"


class FillForm(QuestionForm):
    type_code = "fill"
    # Every box is on the page; the editor's script shows the ones in use and adds more.
    blanks = FieldList(
        StringField(_l("Blank"), validators=[Length(max=MAX_TEXT)]),
        min_entries=MAX_BLANKS,
        max_entries=MAX_BLANKS,
    )
    any_order = BooleanField(_l("Blanks may be answered in any order"))

    def build_spec(self):
        blanks = []
        for entry in self.blanks.entries:
            accepted = [a.strip() for a in SYNONYM_SEPARATORS.split(entry.data or "") if a.strip()]
            if accepted:
                blanks.append(accepted)
        return {"blanks": blanks, "any_order": bool(self.any_order.data)}

    def load_spec(self, spec):
        for slot, entry in enumerate(self.blanks.entries):
            entry.data = "|".join(spec["blanks"][slot]) if slot < len(spec["blanks"]) else ""
        self.any_order.data = spec.get("any_order", False)


class ShortForm(QuestionForm):
    type_code = "short"
    reference = TextAreaField(
        _l("Reference answer"), validators=[Length(max=5000)], render_kw={"rows": 4}
    )
    key_points = TextAreaField(
        _l("Key points for the marker"),
        validators=[Length(max=5000)],
        description=_l("One point per line."),
        render_kw={"rows": 3},
    )

    def build_spec(self):
        return {"reference": self.reference.data or "", "key_points": _lines(self.key_points.data)}

    def load_spec(self, spec):
        self.reference.data = spec["reference"]
        self.key_points.data = "\n".join(spec.get("key_points", []))


FORMS = {
    form.type_code: form for form in (SingleForm, MultipleForm, JudgeForm, FillForm, ShortForm)
}


class RejectForm(AppForm):
    reason = TextAreaField(
        _l("What needs changing"),
        validators=[DataRequired(), Length(max=300)],
        render_kw={"rows": 2},
    )


class BulkForm(AppForm):
    """The list's bulk actions; the checked question ids come as repeated `ids` values."""

    action = SelectField(
        _l("With the selected questions"),
        choices=[
            SelectChoice("submit", _l("Send to review")),
            SelectChoice("move", _l("Move to knowledge point")),
            SelectChoice("tag", _l("Add tag")),
            SelectChoice("retire", _l("Retire")),
        ],
    )
    target = StringField(_l("Knowledge point or tag"), validators=[Length(max=300)])

    def tag_names(self) -> list[str]:
        """The tags to add, split as the question form's tag field splits them."""
        return split_tags(self.target.data)


class RenameForm(AppForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=100)])


class BankForm(AppForm):
    name = StringField(_l("Bank name"), validators=[DataRequired(), Length(max=100)])
    unit_id = SelectField(_l("Owning unit"), coerce=int, validate_choice=True)
    two_person_review = BooleanField(
        _l("Two-person review: the reviewer may not be the author"), default=True
    )


class ReviewRuleForm(AppForm):
    two_person_review = BooleanField(_l("Two-person review: the reviewer may not be the author"))
