"""Organisation forms: validation only."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from learnapp.accounts.forms import ValidUsername
from learnapp.forms import AppForm, NoFormula
from learnapp.orgs.labels import CATEGORY_LABELS, UNIT_KIND_LABELS
from learnapp.orgs.models import Unit

TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "UTC")


def unit_choices(units: list[Unit]) -> list[SelectChoice]:
    """Choices of a unit picker (see orgs.queries.pickable_units), indented by depth below the
    shallowest; a deactivated unit kept for the record being edited says so."""
    base = min((unit.depth for unit in units), default=0)
    return [
        SelectChoice(
            unit.id,
            "　" * (unit.depth - base)
            + (unit.name if unit.is_active else _("%(unit)s (deactivated)", unit=unit.name)),
        )
        for unit in units
    ]


def with_placeholder(choices: list[SelectChoice]) -> list[SelectChoice]:
    """A picker that starts on "choose…", so that nothing is picked for the user: confirming
    without choosing is refused instead of taking the first unit listed."""
    return [SelectChoice("", _("Choose…")), *choices]


def _picked_id(value) -> int | None:
    """A picker's value as an id; the placeholder's empty value is no choice."""
    return int(value) if value not in ("", None) else None


class UnitForm(AppForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=100), NoFormula()])
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(tz, tz) for tz in TIMEZONES])


class NewUnitForm(UnitForm):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, label) for k, label in UNIT_KIND_LABELS.items()]
    )


class MemberForm(AppForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64), NoFormula()])
    category = SelectField(
        _l("Member category"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
    )
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=20),
            Regexp(r"^\+?[0-9][0-9 -]{5,19}$", message=_l("Not a phone number.")),
        ],
    )
    is_mobile = BooleanField(_l("Mobile member (流动党员)"))
    is_retired = BooleanField(_l("Retired"))
    is_elderly_exempt = BooleanField(_l("Elderly or infirm: exempt from hard requirements"))


class NewMemberForm(MemberForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=64), ValidUsername()]
    )


class MoveForm(AppForm):
    unit_id = SelectField(
        _l("Move to"),
        coerce=_picked_id,
        validate_choice=True,
        validators=[InputRequired(message=_l("Choose the unit the member moves to."))],
    )
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason for the move.")),
            Length(max=200),
            NoFormula(),
        ],
    )


class ImportForm(AppForm):
    file = FileField(_l("Member file (.xlsx or .csv)"), validators=[FileRequired()])


class UnitMoveForm(AppForm):
    target_id = SelectField(
        _l("Move under"),
        coerce=_picked_id,
        validate_choice=True,
        validators=[InputRequired(message=_l("Choose the unit to move it under."))],
    )
