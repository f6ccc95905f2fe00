"""Forms of the completion package: validation only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import Length, Optional, Regexp


class ReminderForm(FlaskForm):
    pace_reminder = BooleanField(_l("Weekly reminder when I am behind pace"))
    email = EmailField(
        _l("Also e-mail my reminders to"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address.")),
        ],
    )
