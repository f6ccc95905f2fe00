"""Form pieces shared by every package."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError


class EmptyForm(FlaskForm):
    """A POST-only button: carries the CSRF token and nothing else."""


class NoFormula:
    """Refuse text that a spreadsheet would evaluate when exported (= + - @ at the start)."""

    def __call__(self, form, field):
        from learnapp.tabular import looks_like_formula

        if field.data and looks_like_formula(field.data.strip()):
            raise ValidationError(_l("Text may not start with =, +, - or @."))
