"""Forms of the 学时 package: validation only."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from learnapp.forms import AppForm, NoFormula, day_required
from learnapp.hours.rules import HOURS_PLACES


def _two_places(form, field):
    # The ledger keeps 学时 to two places: a finer rule could not be credited as written.
    if field.data is not None and field.data != field.data.quantize(HOURS_PLACES):
        raise ValidationError(_l("Use at most two decimal places."))


def _hours(label, maximum=1000):
    return DecimalField(
        label,
        places=2,
        validators=[
            InputRequired(),
            NumberRange(min=Decimal("0"), max=Decimal(maximum)),
            _two_places,
        ],
    )


# (a field, the field it may not exceed, the field that shows the error, the message): a rule
# set whose quantities run the wrong way (a shorter lesson worth more than a longer one) would
# credit nonsense from its first day.
ORDER = (
    (
        "annual_target_hours",
        "leader_target_hours",
        "leader_target_hours",
        _l("Cannot be lower than the annual target for members."),
    ),
    (
        "medium_lesson_hours",
        "long_lesson_hours",
        "medium_lesson_hours",
        _l("Cannot be worth more than a long lesson."),
    ),
    (
        "short_lesson_hours",
        "medium_lesson_hours",
        "short_lesson_hours",
        _l("Cannot be worth more than a medium lesson."),
    ),
    (
        "session_per_hour",
        "session_half_day",
        "session_per_hour",
        _l("Cannot be worth more than a half day."),
    ),
    (
        "session_half_day",
        "session_full_day",
        "session_half_day",
        _l("Cannot be worth more than a full day."),
    ),
)


class RuleSetForm(AppForm):
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=32), NoFormula()])
    effective_from = DateField(_l("In force from"), validators=[day_required()])
    source = TextAreaField(
        _l("Source (document and article)"), validators=[DataRequired(), Length(max=4000)]
    )
    annual_target_hours = _hours(_l("Annual target for members"))
    leader_target_hours = _hours(_l("Annual target for secretaries and committee members"))
    daily_online_cap_hours = _hours(_l("Daily cap on online study"), 24)
    daily_self_study_cap_hours = _hours(_l("Daily cap on recorded self-study"), 24)
    final_test_bonus_hours = _hours(_l("Bonus for passing a course's final test"), 100)
    self_study_counts = BooleanField(_l("Self-study counts toward the target"))
    long_lesson_minutes = IntegerField(
        _l("Long lesson: at least (minutes)"), validators=[InputRequired(), NumberRange(1, 600)]
    )
    long_lesson_hours = _hours(_l("Long lesson is worth"), 100)
    medium_lesson_minutes = IntegerField(
        _l("Medium lesson: at least (minutes)"), validators=[InputRequired(), NumberRange(1, 600)]
    )
    medium_lesson_hours = _hours(_l("Medium lesson is worth"), 100)
    short_lesson_hours = _hours(_l("Shorter lesson is worth"), 100)
    session_per_hour = _hours(_l("Organised session: per hour"), 100)
    session_half_day = _hours(_l("Organised session: half day"), 100)
    session_full_day = _hours(_l("Organised session: full day"), 100)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for lower, higher, where, message in ORDER:
            low, high = getattr(self, lower), getattr(self, higher)
            if low.errors or high.errors or low.data is None or high.data is None:
                continue
            if low.data > high.data:
                getattr(self, where).errors.append(message)
                valid = False
        return valid

    def validate_medium_lesson_minutes(self, field):
        if (
            self.long_lesson_minutes.data
            and field.data
            and field.data >= self.long_lesson_minutes.data
        ):
            raise ValidationError(_l("Must be shorter than a long lesson."))
