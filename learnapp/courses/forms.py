"""Course authoring forms: validation only."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from learnapp.courses.models import KIND_LABELS, CourseState
from learnapp.forms import AppForm, NoFormula
from learnapp.orgs.labels import CATEGORY_LABELS
from learnapp.sanitize import MAX_SOURCE_CHARS


def parse_length(text: str) -> int | None:
    """Seconds from "12" (minutes), "12:30" (minutes:seconds) or "1:02:30"; None if unreadable."""
    text = (text or "").strip()
    if not text.isascii():
        return None
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() and len(p) <= 4 for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if len(numbers) == 1:
        return numbers[0] * 60
    if any(n >= 60 for n in numbers[1:]):
        return None
    if len(numbers) == 2:
        return numbers[0] * 60 + numbers[1]
    return numbers[0] * 3600 + numbers[1] * 60 + numbers[2]


def format_length(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}" if rest else str(minutes)


class LengthValidator:
    def __call__(self, form, field):
        seconds = parse_length(field.data)
        if seconds is None or not 0 < seconds <= 24 * 3600:
            raise ValidationError(
                _l("Enter minutes (12) or minutes and seconds (12:30), at most 24 hours.")
            )


class CourseForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), NoFormula()])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)])
    is_required = BooleanField(_l("Required course (必修); otherwise elective (选修)"))
    audience_units = SelectMultipleField(_l("Audience units"), coerce=int, validate_choice=True)
    audience_categories = SelectMultipleField(
        _l("Member categories"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
    )


class NewCourseForm(CourseForm):
    slug = StringField(_l("Identifier"), validators=[Optional(), Length(max=100)])
    owner_unit_id = SelectField(_l("Owned by"), coerce=int, validate_choice=True)


class StateForm(AppForm):
    target = HiddenField(validators=[DataRequired()])

    def validate_target(self, field):
        if field.data not in {state.value for state in CourseState}:
            raise ValidationError(_l("Unknown state."))


class ModuleForm(AppForm):
    title = StringField(
        _l("Module title"), validators=[DataRequired(), Length(max=200), NoFormula()]
    )


class MoveForm(AppForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field):
        if field.data not in ("up", "down"):
            raise ValidationError(_l("Unknown direction."))


class LessonForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), NoFormula()])
    kind = SelectField(
        _l("Lesson type"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
    )
    module_id = SelectField(_l("Module"), coerce=int, validate_choice=True)
    length = StringField(
        _l("Length (minutes, or minutes:seconds)"),
        validators=[DataRequired(), Length(max=10), LengthValidator()],
    )
    required_percent = IntegerField(
        _l("Required share (%)"),
        default=80,
        validators=[
            DataRequired(_l("Enter a whole percent from 1 to 100.")),
            NumberRange(min=1, max=100, message=_l("Enter a whole percent from 1 to 100.")),
        ],
    )
    nominal_hours = DecimalField(
        _l("Study hours (学时)"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0.01, max=8, message=_l("Study hours must be above 0 and at most 8.")),
        ],
    )
    body_source = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=MAX_SOURCE_CHARS)])
    sources = TextAreaField(_l("Sources (one per line)"), validators=[Length(max=10_000)])


class NewLessonForm(LessonForm):
    slug = StringField(_l("Identifier"), validators=[Optional(), Length(max=100)])


class MediaForm(AppForm):
    file = FileField(_l("File"), validators=[FileRequired()])
