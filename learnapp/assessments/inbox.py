"""The member's own inbox lines: the steps of their assessment waiting for them (the
self-appraisal not written, peers not appraised, the ballot not cast), while the step is open."""

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from learnapp.assessments import ballots
from learnapp.assessments.appraisals import peers_of
from learnapp.assessments.models import AssessmentPeriod, Step
from learnapp.assessments.queries import own_periods, peer_reviews_by, self_appraisal
from learnapp.inbox import InboxItem, provider


def _own_step(session: Session, user, period: AssessmentPeriod) -> InboxItem | None:
    if period.step == Step.SELF_APPRAISAL:
        if self_appraisal(session, period, user.id):
            return None
        return InboxItem(
            "assessment-self",
            _("Write your self-appraisal (个人自评) for %(year)s", year=period.year),
            1,
            url_for("assessments.self_appraisal_edit", period_id=period.id),
        )
    if period.step == Step.PEER_REVIEW:
        written = peer_reviews_by(session, period, user.id)
        left = [peer for peer in peers_of(session, period, user) if peer.id not in written]
        return InboxItem(
            "assessment-peers",
            _("Members to appraise in the %(year)s peer appraisal (党员互评)", year=period.year),
            len(left),
            url_for("assessments.peers", period_id=period.id),
        )
    if period.step == Step.EVALUATION:
        roll = ballots.roll_entry(session, period, user)
        if roll is None or roll.has_voted:
            return None
        return InboxItem(
            "assessment-ballot",
            _("Cast your ballot in the %(year)s anonymous evaluation (民主测评)", year=period.year),
            1,
            url_for("assessments.ballot", period_id=period.id),
        )
    return None


@provider
def own_assessment_steps(session: Session, user) -> list[InboxItem]:
    """Every member, managers too: what their own open assessment steps still ask of them (the
    open periods own_periods lists are those they are assessed in)."""
    items = (_own_step(session, user, period) for period in own_periods(session, user))
    return [item for item in items if item is not None]
