"""Form pieces shared by every package."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from wtforms.fields import FileField
from wtforms.validators import InputRequired, ValidationError

# Hours typed as anything but a number (a browser sends "" for what a number input cannot read).
ENTER_A_NUMBER = _l("Enter the number of hours as a number, for example 1.5.")


def day_required(message=None) -> InputRequired:
    """A date must be entered; one that does not exist (2026-02-30) keeps the date field's own
    "not a valid date" message instead of reading as missing (DataRequired would replace it)."""
    return InputRequired(message=message)


class AppForm(FlaskForm):
    """The base of every form of the platform.

    Flask-WTF merges the uploaded files into the form data, so a request that sends a text
    field as a file part would hand the field a file. Only the form's file fields receive file
    parts; any other field given one reads as not sent, and says so with its own message."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if not isinstance(formdata, MultiDict):
                return formdata
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            return ImmutableMultiDict(
                (name, value)
                for name, value in formdata.items(multi=True)
                if name in file_fields or not isinstance(value, FileStorage)
            )


class EmptyForm(AppForm):
    """A POST-only button: carries the CSRF token and nothing else."""


class NoFormula:
    """Refuse text that a spreadsheet would evaluate when exported (= + - @ at the start)."""

    def __call__(self, form, field):
        from learnapp.tabular import looks_like_formula

        if field.data and looks_like_formula(field.data.strip()):
            raise ValidationError(_l("Text may not start with =, +, - or @."))
