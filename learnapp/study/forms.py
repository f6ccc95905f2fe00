"""Study forms and the heartbeat payload: validation only."""

import math
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from learnapp.forms import NoFormula

MAX_SEQ = 2**31 - 1
MAX_POSITION_SECONDS = 10**7  # far beyond any lesson; keeps positions inside an integer column


class SelfStudyForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    hours = DecimalField(
        _l("Study hours"),
        places=2,
        validators=[
            InputRequired(),
            NumberRange(
                min=Decimal("0.01"), max=Decimal("8"), message=_l("Between 0.01 and 8 hours.")
            ),
        ],
    )
    note = StringField(
        _l("What you studied"), validators=[DataRequired(), Length(max=500), NoFormula()]
    )


@dataclass(frozen=True)
class BeatInput:
    seq: int
    reached_end: bool
    segment: tuple[float, float] | None


def _position(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= MAX_POSITION_SECONDS
    )


def parse_beat(payload) -> BeatInput | None:
    """The three things a heartbeat may say; None when malformed. Any other field (durations,
    timestamps, credited time) is ignored: the server measures time itself."""
    if not isinstance(payload, dict):
        return None
    seq = payload.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq <= MAX_SEQ:
        return None
    segment = payload.get("segment")
    parsed = None
    if segment is not None:
        if not (isinstance(segment, list) and len(segment) == 2 and all(map(_position, segment))):
            return None
        parsed = (float(segment[0]), float(segment[1]))
    return BeatInput(seq=seq, reached_end=payload.get("reached_end") is True, segment=parsed)
