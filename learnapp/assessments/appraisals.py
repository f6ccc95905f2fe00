"""The member's own steps: the written self-appraisal (个人自评) and peer appraisal (党员互评)."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import evidence
from learnapp.assessments.models import AssessmentPeriod, PeerReview, SelfAppraisal, Step
from learnapp.errors import DomainError
from learnapp.orgs.models import UnitKind

SELF_APPRAISAL_CHARS = 5000
PEER_COMMENT_CHARS = 500


def require_member(session: Session, period: AssessmentPeriod, member: User) -> None:
    if member.id not in {m.id for m in evidence.period_members(session, period)}:
        raise DomainError(None, _l("You are not assessed in this period."))


def save_self_appraisal(
    session: Session, member: User, period: AssessmentPeriod, text: str, now: datetime
) -> SelfAppraisal:
    """The member's 自评, written or rewritten while the self-appraisal step is open."""
    if period.step != Step.SELF_APPRAISAL:
        raise DomainError("text", _l("The self-appraisal step is not open."))
    require_member(session, period, member)
    text = (text or "").strip()
    if not text:
        raise DomainError("text", _l("Write your self-appraisal."))
    if len(text) > SELF_APPRAISAL_CHARS:
        raise DomainError("text", _l("At most %(n)d characters.", n=SELF_APPRAISAL_CHARS))
    row = session.scalar(
        sa.select(SelfAppraisal).where(
            SelfAppraisal.period_id == period.id, SelfAppraisal.member_id == member.id
        )
    )
    if row is None:
        row = SelfAppraisal(period_id=period.id, member_id=member.id, text=text, updated_at=now)
        session.add(row)
    else:
        row.text, row.updated_at = text, now
    session.flush()
    return row


def peers_of(session: Session, period: AssessmentPeriod, member: User) -> list[User]:
    """Whom a member appraises: the others of their party group, or of the branch when they
    are in no group."""
    members = evidence.period_members(session, period)
    if member.unit is not None and member.unit.kind == UnitKind.GROUP:
        return [m for m in members if m.unit_id == member.unit_id and m.id != member.id]
    return [m for m in members if m.id != member.id]


def save_peer_review(
    session: Session,
    author: User,
    period: AssessmentPeriod,
    subject_id: int,
    comment: str,
    now: datetime,
) -> PeerReview:
    """A signed comment on a peer while peer appraisal is open; one per peer, rewritable."""
    if period.step != Step.PEER_REVIEW:
        raise DomainError("comment", _l("Peer appraisal is not open."))
    require_member(session, period, author)
    if subject_id not in {m.id for m in peers_of(session, period, author)}:
        raise DomainError("subject_id", _l("Choose a member of your group."))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError("comment", _l("Write a comment."))
    if len(comment) > PEER_COMMENT_CHARS:
        raise DomainError("comment", _l("At most %(n)d characters.", n=PEER_COMMENT_CHARS))
    row = session.scalar(
        sa.select(PeerReview).where(
            PeerReview.period_id == period.id,
            PeerReview.author_id == author.id,
            PeerReview.subject_id == subject_id,
        )
    )
    if row is None:
        row = PeerReview(
            period_id=period.id,
            author_id=author.id,
            subject_id=subject_id,
            comment=comment,
            updated_at=now,
        )
        session.add(row)
    else:
        row.comment, row.updated_at = comment, now
    session.flush()
    return row
