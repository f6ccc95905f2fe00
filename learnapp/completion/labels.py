"""Display names of completion statuses."""

from flask_babel import lazy_gettext as _l

from learnapp.completion.status import Status
from learnapp.hours.models import SourceType

STATUS_LABELS = {
    Status.DONE: _l("Done"),
    Status.ON_TRACK: _l("On track"),
    Status.BEHIND: _l("Behind"),
    Status.EXEMPT: _l("Exempt"),
    Status.NOT_APPLICABLE: _l("No hours requirement"),
}
# Once the year is over, being short of the target is no longer a pace: it is the outcome.
FINISHED_YEAR_LABELS = {
    Status.BEHIND: _l("Not completed"),
}
STATUS_COLOURS = {
    Status.DONE: "#198754",
    Status.ON_TRACK: "#0d6efd",
    Status.BEHIND: "#b3261e",
    Status.EXEMPT: "#adb5bd",
    Status.NOT_APPLICABLE: "#dee2e6",
}


def status_label(status, finished: bool = False) -> str:
    """The status's name; `finished` for a year that is over."""
    status = Status(status)
    if finished and status in FINISHED_YEAR_LABELS:
        return str(FINISHED_YEAR_LABELS[status])
    return str(STATUS_LABELS[status])


SOURCE_LABELS = {
    SourceType.LESSON: _l("Online lesson"),
    SourceType.SELF_STUDY: _l("Self-study"),
    SourceType.REVERSAL: _l("Correction"),
    SourceType.MEETING: _l("Meeting attendance"),
    SourceType.CLAIM: _l("Approved claim or study recorded on behalf"),
    SourceType.COURSE_TEST: _l("Course final test"),
}


def source_label(source_type) -> str:
    return str(SOURCE_LABELS.get(SourceType(source_type), source_type))
