"""What the assessment tells members: its kinds of notification (see notifications.preferences)
and their messages (see notifications.messages)."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from learnapp.assessments.labels import STEP_LABELS
from learnapp.assessments.models import Step
from learnapp.notifications.messages import declare
from learnapp.notifications.preferences import register_kind

_STEPS = register_kind("assessment", _l("Assessment steps and results"), mandatory=True)
_REMINDERS = register_kind("assessment_reminder", _l("Assessment reminders"))


def _step_reminder(params: Mapping) -> str:
    return _(
        "Reminder: %(step)s of %(year)s closes soon.",
        step=str(STEP_LABELS[Step(params["step"])]),
        year=params["year"],
    )


def _points_lapsed(params: Mapping) -> str:
    return ngettext(
        "Your bonus or deduction item for %(year)s lapsed: nobody decided it before the "
        "dossiers were frozen, so it is not counted.",
        "%(num)d of your bonus and deduction items for %(year)s lapsed: nobody decided them "
        "before the dossiers were frozen, so they are not counted.",
        int(params["count"]),
        year=params["year"],
    )


SELF_APPRAISAL_OPEN = declare(
    "assessment_self_appraisal_open",
    _STEPS.key,
    _l("The self-appraisal (个人自评) of %(year)s is open: write yours."),
    ("year", "period"),
)
PEER_REVIEW_OPEN = declare(
    "assessment_peer_review_open",
    _STEPS.key,
    _l("Peer appraisal (党员互评) of %(year)s is open."),
    ("year", "period"),
)
EVALUATION_OPEN = declare(
    "assessment_evaluation_open",
    _STEPS.key,
    _l("The anonymous evaluation (民主测评) of %(year)s is open: cast your ballot."),
    ("year", "period"),
)
RESULT = declare(
    "assessment_result",
    _STEPS.key,
    _l("Your assessment result for %(year)s is available."),
    ("year", "period"),
)
POINTS_LAPSED = declare(
    "assessment_points_lapsed", _STEPS.key, _points_lapsed, ("count", "year", "period")
)
REMINDER = declare(
    "assessment_reminder", _REMINDERS.key, _step_reminder, ("step", "year", "period")
)
# What members hear when a step opens.
STEP_OPEN = {
    Step.SELF_APPRAISAL: SELF_APPRAISAL_OPEN,
    Step.PEER_REVIEW: PEER_REVIEW_OPEN,
    Step.EVALUATION: EVALUATION_OPEN,
}
