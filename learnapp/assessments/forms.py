"""Assessment forms: validation only. The ballot and the grade sheet have one field per member,
so their views read those fields from the request and these forms carry the CSRF token."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from learnapp.assessments.appraisals import PEER_COMMENT_CHARS, SELF_APPRAISAL_CHARS
from learnapp.assessments.labels import COMPONENT_LABELS, POINT_KIND_LABELS
from learnapp.assessments.points import ENTER_POINTS, check_points
from learnapp.assessments.rules import COMPONENTS
from learnapp.errors import DomainError
from learnapp.forms import AppForm, NoFormula, day_required


def _at_most(n) -> Length:
    return Length(max=n, message=_l("At most %(n)d characters.", n=n))


class ScheduleForm(AppForm):
    self_opens_on = DateField(_l("Self-appraisal opens on"), validators=[day_required()])
    peer_opens_on = DateField(_l("Peer appraisal opens on"), validators=[day_required()])
    ballot_opens_on = DateField(_l("Anonymous evaluation opens on"), validators=[day_required()])
    ballot_closes_on = DateField(
        _l("Evaluation closes (dossiers are frozen) on"), validators=[day_required()]
    )


class PeriodForm(ScheduleForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(),
            NumberRange(2000, 2100, message=_l("Enter a year between 2000 and 2100.")),
        ],
    )


class AdvanceForm(AppForm):
    """Opening the next step by hand: the secretary ticks that they have seen how many took
    part (the label states the counts); closing the evaluation with no ballot needs a second,
    explicit tick, and with 积分 items undecided a third, whose value lists the items shown."""

    confirm = BooleanField(
        _l("I have seen the participation above"),
        validators=[
            DataRequired(
                message=_l("Tick the box to confirm that you have seen the participation.")
            )
        ],
    )
    confirm_no_ballots = BooleanField(_l("Close the evaluation although nobody has voted"))
    confirm_lapse = StringField()

    def lapse_ids(self) -> set[int]:
        """The items confirmed to lapse: ids separated by commas (anything else confirms none)."""
        parts = (self.confirm_lapse.data or "").split(",")
        return {int(part) for part in parts if part.strip().isdecimal()}


class RuleChoiceForm(AppForm):
    rule_set_id = SelectField(_l("Rule version"), coerce=int, validate_choice=True)


class SelfAppraisalForm(AppForm):
    text = TextAreaField(
        _l("Your self-appraisal"),
        validators=[DataRequired(), _at_most(SELF_APPRAISAL_CHARS)],
    )


class PeerReviewForm(AppForm):
    subject_id = SelectField(_l("Party member"), coerce=int, validate_choice=True)
    comment = TextAreaField(
        _l("Comment"), validators=[DataRequired(), _at_most(PEER_COMMENT_CHARS), NoFormula()]
    )


def valid_points(form, field) -> None:
    """The service's rule on points, checked before it runs."""
    if field.data is None:  # not a number: the field already says so
        return
    try:
        check_points(field.data)
    except DomainError as error:
        raise ValidationError(error.message) from None


class PointForm(AppForm):
    member_id = SelectField(_l("Party member"), coerce=int, validate_choice=True)
    kind = SelectField(
        _l("Bonus or deduction"),
        choices=[SelectChoice(k.value, label) for k, label in POINT_KIND_LABELS.items()],
    )
    points = DecimalField(
        _l("Points"),
        places=2,
        # One message for what is not a number: typed text, or the empty value a browser's
        # number input sends for it.
        invalid_value_message=ENTER_POINTS,
        validators=[InputRequired(message=ENTER_POINTS), valid_points],
    )
    reason = StringField(
        _l("Reason for the item"), validators=[DataRequired(), _at_most(300), NoFormula()]
    )
    evidence = TextAreaField(
        _l("Evidence (document, certificate, record)"),
        validators=[DataRequired(), _at_most(2000)],
    )


class DecisionForm(AppForm):
    note = TextAreaField(_l("Note"), validators=[_at_most(1000)])


class SubmitForm(AppForm):
    justification = TextAreaField(
        _l("Justification (needed when more than a third are proposed as excellent)"),
        validators=[_at_most(2000)],
    )


class FeedbackForm(AppForm):
    feedback = TextAreaField(_l("Feedback to the member"), validators=[_at_most(1000)])


class ReopenForm(AppForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[DataRequired(), _at_most(1000)])


def _weight(name):
    return DecimalField(
        COMPONENT_LABELS[name],
        places=2,
        validators=[
            InputRequired(),
            NumberRange(min=Decimal("0"), max=Decimal("100"), message=_l("Between 0 and 100.")),
        ],
    )


def _cap(label):
    return DecimalField(
        label,
        places=2,
        validators=[
            InputRequired(),
            NumberRange(min=Decimal("0"), max=Decimal("100"), message=_l("Between 0 and 100.")),
        ],
    )


class RuleSetForm(AppForm):
    version = StringField(_l("Version"), validators=[DataRequired(), _at_most(32), NoFormula()])
    effective_from = DateField(_l("In force from"), validators=[day_required()])
    source = TextAreaField(
        _l("Source (document and article)"), validators=[DataRequired(), _at_most(4000)]
    )
    weight_hours = _weight("hours")
    weight_courses = _weight("courses")
    weight_exams = _weight("exams")
    weight_attendance = _weight("attendance")
    weight_contributions = _weight("contributions")
    contributions_target = IntegerField(
        _l("Contributions for full marks"),
        validators=[
            InputRequired(),
            NumberRange(1, 1000, message=_l("Between 1 and 1000.")),
        ],
    )
    bonus_item_cap = _cap(_l("Cap per bonus item"))
    bonus_cap = _cap(_l("Cap on all bonuses"))
    deduction_item_cap = _cap(_l("Cap per deduction item"))
    deduction_cap = _cap(_l("Cap on all deductions"))

    def rules(self) -> dict:
        return {
            "weights": {name: str(getattr(self, f"weight_{name}").data) for name in COMPONENTS},
            "contributions_target": self.contributions_target.data,
            "bonus_item_cap": str(self.bonus_item_cap.data),
            "bonus_cap": str(self.bonus_cap.data),
            "deduction_item_cap": str(self.deduction_item_cap.data),
            "deduction_cap": str(self.deduction_cap.data),
        }
