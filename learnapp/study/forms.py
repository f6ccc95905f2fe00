"""Study forms and the heartbeat payload: validation only."""

import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from learnapp.forms import ENTER_A_NUMBER, AppForm, NoFormula, day_required
from learnapp.hours.corrections import MAX_REASON_CHARS
from learnapp.hours.services import (
    SELF_STUDY_HOURS_MESSAGE,
    SELF_STUDY_MAX_HOURS,
    SELF_STUDY_STEP,
)

MAX_SEQ = 2**31 - 1
MAX_POSITION_SECONDS = 10**7  # far beyond any lesson; keeps positions inside an integer column
BEAT_STATES = {"active": False, "paused": True}  # the page's state -> whether it stopped counting


def quarter_hours(form, field) -> None:
    """The service's rule, checked before it runs: quarter hours from 0.25 to 8 (the page's
    input has the same step, min and max)."""
    value = field.data
    if value is None:  # not a number: the field already says so
        return
    if not value.is_finite():
        raise ValidationError(ENTER_A_NUMBER)
    if not SELF_STUDY_STEP <= value <= SELF_STUDY_MAX_HOURS or value % SELF_STUDY_STEP:
        raise ValidationError(SELF_STUDY_HOURS_MESSAGE)


class SelfStudyForm(AppForm):
    # What the hours input tells the browser: the same rule as quarter_hours.
    HOURS_INPUT = {
        "step": str(SELF_STUDY_STEP),
        "min": str(SELF_STUDY_STEP),
        "max": str(SELF_STUDY_MAX_HOURS),
    }

    day = DateField(_l("Date"), validators=[day_required()])
    hours = DecimalField(
        _l("Study hours"),
        places=2,
        # A browser sends an empty value for what a number input cannot read ("abc", "1,5"):
        # both say what to enter rather than "this field is required".
        invalid_value_message=ENTER_A_NUMBER,
        validators=[InputRequired(message=ENTER_A_NUMBER), quarter_hours],
    )
    note = StringField(
        _l("What you studied"), validators=[DataRequired(), Length(max=500), NoFormula()]
    )


class RemoveEntryForm(AppForm):
    reason = StringField(
        _l("Reason for the correction"),
        validators=[DataRequired(), Length(max=MAX_REASON_CHARS), NoFormula()],
    )


@dataclass(frozen=True)
class BeatInput:
    seq: int
    reached_end: bool
    segment: tuple[float, float] | None
    paused: bool


def _position(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= MAX_POSITION_SECONDS
    )


def parse_beat(payload) -> BeatInput | None:
    """The four things a heartbeat may say; None when malformed. `state` is "active" (the page
    is counting; the default) or "paused" (it stopped: hidden, out of focus). Any other field
    (durations, timestamps, credited time) is ignored: the server measures time itself."""
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
    state = payload.get("state", "active")
    if not isinstance(state, str) or state not in BEAT_STATES:
        return None
    return BeatInput(
        seq=seq,
        reached_end=payload.get("reached_end") is True,
        segment=parsed,
        paused=BEAT_STATES[state],
    )
