"""Forms of the completion package: validation only."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField
from wtforms.validators import Length, Optional, Regexp

from learnapp.forms import AppForm

# One @, a dot in the domain, and no spaces or control characters anywhere.
_PART = r"[^@\s\x00-\x1f\x7f]+"
EMAIL = rf"^{_PART}@{_PART}\.{_PART}$"


class ReminderForm(AppForm):
    pace_reminder = BooleanField(_l("Weekly reminder when I am behind pace"))
    email = EmailField(
        _l("Also e-mail my reminders to"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(EMAIL, message=_l("Not an e-mail address.")),
        ],
    )
