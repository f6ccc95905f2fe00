"""Notification forms: validation only."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from learnapp.forms import AppForm


class SettingsForm(AppForm):
    """The kinds a member wants to receive; unchecked mutable kinds are muted."""

    receive = SelectMultipleField(
        _l("Notify me about"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
