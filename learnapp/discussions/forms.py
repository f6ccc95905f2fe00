"""Discussion forms: validation only."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from learnapp.discussions.labels import MODE_LABELS, REASON_LABELS, WORD_ACTION_LABELS
from learnapp.discussions.models import REJECT_REASONS
from learnapp.forms import AppForm, NoFormula

TITLE_CHARS = 120
BODY_CHARS = 20_000


def _title(label):
    return StringField(label, validators=[DataRequired(), Length(max=TITLE_CHARS), NoFormula()])


def _body(label, max_chars=BODY_CHARS):
    return TextAreaField(label, validators=[DataRequired(), Length(max=max_chars)])


class ThreadForm(AppForm):
    title = _title(_l("Title"))
    body = _body(_l("Message"))


class ReplyForm(AppForm):
    body = _body(_l("Your reply"))
    quoted_post_id = HiddenField()


class EditForm(AppForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_CHARS), NoFormula()])
    body = _body(_l("Message"))


class ReportForm(AppForm):
    # Nothing is chosen for the member: a report says what they found wrong.
    reason = SelectField(
        _l("What is wrong"),
        choices=[SelectChoice("", _l("— Choose —"))]
        + [SelectChoice(code.value, REASON_LABELS[code]) for code in REJECT_REASONS],
        validators=[DataRequired(message=_l("Choose what is wrong with the post."))],
    )
    note = StringField(_l("Details (optional)"), validators=[Length(max=500)])


class DecisionForm(AppForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Publish")),
            SelectChoice("reject", _l("Remove")),
        ],
        validators=[DataRequired()],
    )
    reason = SelectField(
        _l("Reason for the decision"),
        choices=[SelectChoice(code.value, label) for code, label in REASON_LABELS.items()],
    )
    note = StringField(_l("Note to the author (optional)"), validators=[Length(max=500)])


class BoardForm(AppForm):
    name = StringField(_l("Board name"), validators=[DataRequired(), Length(max=100), NoFormula()])
    description = StringField(_l("Description"), validators=[Length(max=500)])
    mode = SelectField(
        _l("Moderation"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )


class BoardModeForm(AppForm):
    mode = SelectField(
        _l("Moderation"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )


class AnnouncementForm(AppForm):
    unit_id = SelectField(_l("Send to"), coerce=int, validate_choice=True)
    title = _title(_l("Title"))
    body = _body(_l("Announcement text"))
    expires_on = DateField(_l("Show until (optional)"), validators=[Optional()])


class ComplaintForm(AppForm):
    subject = _title(_l("Subject"))
    body = _body(_l("Your message"), 5_000)


class MessageForm(AppForm):
    body = _body(_l("Message"), 5_000)


class CategoryForm(AppForm):
    name = StringField(_l("Category"), validators=[DataRequired(), Length(max=64)])
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(a.value, label) for a, label in WORD_ACTION_LABELS.items()],
    )


class ActionForm(AppForm):
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(a.value, label) for a, label in WORD_ACTION_LABELS.items()],
    )


class TermsForm(AppForm):
    terms = TextAreaField(
        _l("Terms, one per line"), validators=[DataRequired(), Length(max=20_000)]
    )
