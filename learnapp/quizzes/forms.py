"""Quiz forms: validation only. Attempt forms declare no score, time or user fields (E7)."""

from datetime import UTC
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput, NumberInput

from learnapp.clock import org_timezone
from learnapp.errors import DomainError
from learnapp.forms import AppForm, NoFormula
from learnapp.orgs.labels import CATEGORY_LABELS
from learnapp.question_bank.types import TYPES
from learnapp.quizzes.composition import MAX_QUESTIONS, check_points
from learnapp.quizzes.models import (
    COMPOSITION_LABELS,
    GRADING_LABELS,
    KIND_LABELS,
    RELEASE_LABELS,
)


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


class LocalTimes:
    """Forms whose date-time fields are entered in the organisation's local time."""

    def aware(self, field):
        """The field's local time (organisation timezone) as aware UTC."""
        if field.data is None:
            return None
        return field.data.replace(tzinfo=org_timezone()).astimezone(UTC)


class QuizForm(LocalTimes, AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), NoFormula()])
    description = TextAreaField(_l("Instructions"), validators=[Length(max=2000)])
    kind = SelectField(_l("Quiz kind"), choices=_choices(KIND_LABELS))
    owner_unit_id = SelectField(_l("Owned by"), coerce=int, validate_choice=True)
    composition = SelectField(_l("Questions"), choices=_choices(COMPOSITION_LABELS))
    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    duration_minutes = IntegerField(
        _l("Time limit (minutes)"), validators=[Optional(), NumberRange(min=1, max=1440)]
    )
    grace_seconds = IntegerField(
        _l("Grace period (seconds)"),
        default=60,
        validators=[InputRequired(), NumberRange(min=0, max=86400)],
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed (0: unlimited, except for an exam)"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    grading_method = SelectField(_l("Grading method"), choices=_choices(GRADING_LABELS))
    # Kept in hundredths: the input steps by them, and the service refuses finer.
    pass_percent = DecimalField(
        _l("Pass mark (%)"),
        default=Decimal("60"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        widget=NumberInput(step="0.01", min="0", max="100"),
    )
    shuffle_questions = BooleanField(_l("Shuffle questions"))
    shuffle_options = BooleanField(_l("Shuffle options"))
    release = SelectField(_l("Show results"), choices=_choices(RELEASE_LABELS))
    audience_units = SelectMultipleField(_l("Audience units"), coerce=int, validate_choice=True)
    audience_categories = SelectMultipleField(
        _l("Member categories"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
    )
    course_id = SelectField(_l("Final test of course"), coerce=int, validate_choice=True)


class OverrideForm(LocalTimes, AppForm):
    """A member's own terms for a quiz (E3); a field left empty keeps the quiz's."""

    # A name (姓名) or a user name: secretaries know their members by name (overrides.find_member).
    username = StringField(
        _l("Member's name or user name"), validators=[DataRequired(), Length(max=64)]
    )
    closes_at = DateTimeLocalField(
        _l("Closes for this member"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    duration_minutes = IntegerField(
        _l("Time limit for this member (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=1440)],
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed for this member (0: unlimited, except for an exam)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500), NoFormula()])


class AddQuestionsForm(AppForm):
    question_ids = SelectMultipleField(_l("Questions"), coerce=int, validate_choice=False)


class ItemPointsForm(Form):
    """One question of a fixed paper: its own points on this paper; empty for its bank points."""

    item_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    points = DecimalField(
        _l("Points"),
        places=None,
        validators=[Optional()],
        widget=NumberInput(step="0.01", min="0.01", max="100"),
    )

    def validate_points(self, field):
        try:
            check_points(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None


class PaperPointsForm(AppForm):
    """The points of a fixed paper's questions, saved together."""

    items = FieldList(FormField(ItemPointsForm), max_entries=MAX_QUESTIONS)


class RuleForm(AppForm):
    bank_id = SelectField(_l("Bank"), coerce=int, validate_choice=True)
    knowledge_point_id = SelectField(_l("Knowledge point"), coerce=int, validate_choice=True)
    question_type = SelectField(
        _l("Type"),
        choices=[SelectChoice("", _l("Any type"))]
        + [SelectChoice(c, t.label) for c, t in TYPES.items()],
    )
    difficulty = SelectField(
        _l("Difficulty"),
        coerce=int,
        choices=[SelectChoice(0, _l("Any difficulty"))]
        + [SelectChoice(n, str(n)) for n in range(1, 6)],
    )
    count = IntegerField(_l("How many"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    # Kept in hundredths: the input steps by them, and the service refuses finer.
    points = DecimalField(
        _l("Points each"),
        default=Decimal("1"),
        places=2,
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=100)],
        widget=NumberInput(step="0.01", min="0.01", max="100"),
    )


class MarkForm(AppForm):
    # Marks are stored in hundredths: the input steps by them, and the service refuses finer.
    points = DecimalField(
        _l("Points"),
        places=2,
        validators=[InputRequired()],
        widget=NumberInput(step="0.01", min=0),
    )
    comment = TextAreaField(_l("Comment for the member"), validators=[Length(max=2000)])


class ReportForm(AppForm):
    """纠错: what is wrong with a question."""

    text = TextAreaField(
        _l("What is wrong with this question?"),
        validators=[
            DataRequired(message=_l("Say what is wrong with the question.")),
            Length(max=1000, message=_l("At most 1000 characters.")),
            NoFormula(),
        ],
    )


class CloseReportForm(AppForm):
    # No outcome is preselected: closing a report is a decision the editor makes.
    state = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Choose…")),
            SelectChoice("resolved", _l("Corrected in the bank")),
            SelectChoice("dismissed", _l("Dismissed: the question is right")),
        ],
        validators=[DataRequired(message=_l("Choose corrected or dismissed."))],
    )
    note = TextAreaField(_l("Note for the record"), validators=[Length(max=1000)])
