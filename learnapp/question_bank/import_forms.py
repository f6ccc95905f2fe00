"""Forms of the import and export screens: validation only."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from learnapp.forms import AppForm, NoFormula
from learnapp.question_bank.draft import split_path
from learnapp.question_bank.formats import FORMATS
from learnapp.question_bank.formats.common import path_problem
from learnapp.question_bank.models import STATUS_LABELS
from learnapp.question_bank.types import TYPES


class ImportForm(AppForm):
    file = FileField(_l("Question file"), validators=[FileRequired()])
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("auto", _l("Recognise from the file name"))]
        + [SelectChoice(code, fmt.label) for code, fmt in FORMATS.items()],
        default="auto",
    )
    knowledge_point = StringField(
        _l("Knowledge point for questions without one"),
        validators=[Optional(), Length(max=300), NoFormula()],
    )

    def validate_knowledge_point(self, field):
        """Checked like a file's 知识点 cell, so that a preview never offers what the commit
        would refuse."""
        problem = path_problem(split_path(field.data or ""))
        if problem:
            raise ValidationError(problem)


class ExportForm(AppForm):
    """Read from the query string: an export is a download, not a change."""

    class Meta:
        csrf = False

    format = SelectField(
        _l("Format"),
        choices=[SelectChoice(code, fmt.label) for code, fmt in FORMATS.items()],
    )
    type = SelectField(
        _l("Type"),
        choices=[SelectChoice("", _l("All types"))]
        + [SelectChoice(code, qtype.label) for code, qtype in TYPES.items()],
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All statuses"))]
        + [SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    difficulty = SelectField(
        _l("Difficulty"),
        coerce=int,
        choices=[SelectChoice(0, _l("All difficulties"))]
        + [SelectChoice(n, str(n)) for n in range(1, 6)],
        validators=[Optional()],
    )
    kp = SelectField(_l("Knowledge point"), coerce=int, validators=[Optional()])
    tag = SelectField(_l("Tag"), coerce=int, validators=[Optional()])
    source = SelectField(_l("Source version"), coerce=int, validators=[Optional()])
