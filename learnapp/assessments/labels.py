"""Translated names of the assessment's steps, grades and item kinds."""

from flask_babel import lazy_gettext as _l

from learnapp.assessments.models import Approval, Grade, PointKind, PointState, Step

STEP_LABELS = {
    Step.DRAFT: _l("Draft"),
    Step.SELF_APPRAISAL: _l("Self-appraisal (个人自评)"),
    Step.PEER_REVIEW: _l("Peer appraisal (党员互评)"),
    Step.EVALUATION: _l("Anonymous evaluation (民主测评)"),
    Step.COMMITTEE: _l("Committee proposal"),
    Step.APPROVAL: _l("Approval by the unit above"),
    Step.FEEDBACK: _l("Feedback to members"),
    Step.LOCKED: _l("Closed"),
}
GRADE_LABELS = {
    Grade.EXCELLENT: _l("Excellent (优秀)"),
    Grade.QUALIFIED: _l("Qualified (合格)"),
    Grade.BASIC: _l("Basically qualified (基本合格)"),
    Grade.UNQUALIFIED: _l("Unqualified (不合格)"),
}
APPROVAL_LABELS = {
    Approval.NOT_NEEDED: _l("No approval needed"),
    Approval.PENDING: _l("Waiting for the unit above"),
    Approval.APPROVED: _l("Approved by the unit above"),
    Approval.REJECTED: _l("Returned by the unit above"),
}
POINT_KIND_LABELS = {PointKind.BONUS: _l("Bonus"), PointKind.DEDUCTION: _l("Deduction")}
POINT_STATE_LABELS = {
    PointState.PENDING: _l("Waiting for approval"),
    PointState.APPROVED: _l("Approved"),
    PointState.REJECTED: _l("Rejected"),
    PointState.LAPSED: _l("Lapsed: undecided when the dossiers were frozen, not counted"),
}
COMPONENT_LABELS = {
    "hours": _l("Study hours against the target"),
    "courses": _l("Required courses completed"),
    "exams": _l("Exam results"),
    "attendance": _l("Attendance at organisational life"),
    "contributions": _l("Contributions (approved posts and replies)"),
}
