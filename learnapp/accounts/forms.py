"""Account forms: validation only."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from learnapp.accounts.services.users import normalize_username, username_problem
from learnapp.forms import AppForm, NoFormula
from learnapp.orgs.labels import CATEGORY_LABELS, ROLE_LABELS


class ValidUsername:
    """The service's user-name rule run with the form's validators, so that its message shows
    together with the other fields' errors instead of only once they are fixed. Whether the
    name is taken is still the service's to say."""

    def __call__(self, form, field):
        problem = username_problem(normalize_username(field.data or ""))
        if problem:
            raise ValidationError(problem)


class LoginForm(AppForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=128)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class UserCreateForm(AppForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=64), ValidUsername()]
    )
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64), NoFormula()])
    unit_id = SelectField(_l("Unit"), coerce=int, validate_choice=True)
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
    with_password = BooleanField(_l("Generate a password now (shown once)"), default=True)


class RoleGrantForm(AppForm):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    unit_id = SelectField(_l("In unit"), coerce=int, validate_choice=True)


class InitialPasswordsForm(AppForm):
    # Any id is accepted here: the service says which accounts cannot be given a password.
    user_ids = SelectMultipleField(_l("Accounts"), coerce=int, validate_choice=False)
    file_format = RadioField(
        _l("File"),
        choices=[SelectChoice("xlsx", _l("Excel (.xlsx)")), SelectChoice("csv", _l("CSV (.csv)"))],
        default="xlsx",
    )
