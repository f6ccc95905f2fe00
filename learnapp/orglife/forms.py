"""Forms of organisational life: validation only; the services decide the rules."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from flask_wtf.i18n import translations
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
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

from learnapp.forms import ENTER_A_NUMBER, AppForm, NoFormula, day_required
from learnapp.hours.corrections import MAX_REASON_CHARS
from learnapp.hours.labels import CATEGORY_LABELS
from learnapp.orglife.claims import (
    CLAIM_CATEGORIES,
    HOURS_STEP,
    MAX_CLAIM_HOURS,
    MAX_ON_BEHALF_HOURS,
    hours_message,
    is_quarter_hours,
)
from learnapp.orglife.labels import MEETING_KIND_LABELS

STUDY_ITEM_ROWS = 3
# Explicit messages: WTForms' own defaults are English on the Chinese pages.
REQUIRED = _l("This field is required.")


def _required():
    return DataRequired(message=REQUIRED)


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(n)d characters.", n=n))


class HoursField(DecimalField):
    """A decimal number of study hours; NaN, sNaN and infinities are not numbers here."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(
                self.invalid_value_message or self.gettext("Not a valid decimal value.")
            )


class StudyItemForm(Form):
    class Meta:
        def get_translations(self, form):
            # A sub-form is a plain WTForms form: without this its own messages ("Not a valid
            # integer value.") stay English on the Chinese pages.
            return translations

    title = StringField(_l("Study item"), validators=[Optional(), _at_most(200), NoFormula()])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=480,
                message=_l("Each study item needs a title and 1 to 480 minutes."),
            ),
        ],
    )


def _votes(label):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=10_000, message=_l("Not a number of votes.")),
        ],
    )


def _person(label):
    return SelectField(label, coerce=int, validate_choice=True)


class MeetingForm(AppForm):
    kind = SelectField(
        _l("Meeting type"),
        choices=[SelectChoice(k.value, label) for k, label in MEETING_KIND_LABELS.items()],
    )
    title = StringField(_l("Title"), validators=[_required(), _at_most(200), NoFormula()])
    held_on = DateField(_l("Date"), validators=[day_required(REQUIRED)])
    place = StringField(_l("Place"), validators=[_at_most(200), NoFormula()])
    host_id = _person(_l("Host"))
    recorder_id = _person(_l("Recorder"))
    observers = TextAreaField(_l("Observers (列席)"), validators=[_at_most(2000)])
    agenda = TextAreaField(_l("Agenda"), validators=[_at_most(5000)])
    study_items = FieldList(FormField(StudyItemForm), min_entries=STUDY_ITEM_ROWS, max_entries=10)
    notes = TextAreaField(_l("Notes"), validators=[_at_most(20_000)])
    resolutions = TextAreaField(_l("Resolutions"), validators=[_at_most(5000)])
    vote_subject = StringField(_l("Voted on"), validators=[_at_most(200), NoFormula()])
    votes_for = _votes(_l("For"))
    votes_against = _votes(_l("Against"))
    votes_abstain = _votes(_l("Abstained"))


class AttachmentForm(AppForm):
    file = FileField(
        _l("Attachment (PDF, JPEG or PNG)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
    )


def _category_choices():
    return [SelectChoice(c.value, CATEGORY_LABELS[c]) for c in CLAIM_CATEGORIES]


def _quarter_hours_up_to(most: Decimal):
    """The service's rule, checked before it runs: quarter hours from 0.25 to `most`."""

    def check(form, field) -> None:
        if field.data is not None and not is_quarter_hours(field.data, most):
            raise ValidationError(hours_message(most))

    return check


def _claim_hours(most: Decimal):
    return HoursField(
        _l("Study hours"),
        places=2,
        invalid_value_message=ENTER_A_NUMBER,
        validators=[InputRequired(message=ENTER_A_NUMBER), _quarter_hours_up_to(most)],
        # What the hours input tells the browser: the same rule.
        render_kw={"step": str(HOURS_STEP), "min": str(HOURS_STEP), "max": str(most)},
    )


class ClaimForm(AppForm):
    category = SelectField(_l("Category"), choices=_category_choices())
    hours = _claim_hours(MAX_CLAIM_HOURS)
    studied_on = DateField(_l("Date of the study"), validators=[day_required(REQUIRED)])
    description = TextAreaField(
        _l("What you studied and where"), validators=[_required(), _at_most(2000)]
    )
    evidence = FileField(
        _l("Evidence (PDF, JPEG or PNG, at most 5 MB)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
    )


class RejectForm(AppForm):
    reason = TextAreaField(_l("Reason"), validators=[_required(), _at_most(1000)])


class ReverseForm(AppForm):
    reason = TextAreaField(
        _l("Reason for the reversal"), validators=[_required(), _at_most(MAX_REASON_CHARS)]
    )


class OnBehalfForm(AppForm):
    member_id = SelectField(_l("Member"), coerce=int, validate_choice=True)
    category = SelectField(_l("Category"), choices=_category_choices())
    hours = _claim_hours(MAX_ON_BEHALF_HOURS)
    studied_on = DateField(_l("Date of the study"), validators=[day_required(REQUIRED)])
    description = TextAreaField(_l("What was studied"), validators=[_required(), _at_most(2000)])
