"""The committee's proposals, approval by the unit above, feedback, lock and reopen.

The committee decides, with a reason; the dossier's score only informs it. A grade can change
only while the period is at the committee step; after lock only the unit above can reopen the
period, with a reason that goes to the audit log. The member graded never sets their own grade
or feedback, even as the branch's secretary: another of its committee, or the unit above, does.
"""

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import evidence
from learnapp.assessments.models import (
    Approval,
    AssessmentGrade,
    AssessmentPeriod,
    Grade,
    Step,
)
from learnapp.assessments.notices import RESULT
from learnapp.assessments.queries import branch_committee, is_unit_above
from learnapp.assessments.steps import move_step
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.notifications.services import notify

EXCELLENT_SHARE = Fraction(1, 3)
REASON_CHARS = 1000
NAMED_MISSING = 10


def _require_committee(actor: User, period: AssessmentPeriod) -> None:
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))


def other_graders(session: Session, period: AssessmentPeriod, member_id: int) -> list[User]:
    """Who of the branch's own committee (书记, 委员) may set the member's grade and feedback:
    all of it but the member. The unit above may as well, and is left alone to do it in a
    branch whose committee is the member alone."""
    return [user for user in branch_committee(session, period.unit) if user.id != member_id]


def _names(users: list[User]) -> str:
    named = "、".join(user.display_name for user in users[:NAMED_MISSING])
    if len(users) > NAMED_MISSING:
        return _l("%(names)s and others (%(num)d in all)", names=named, num=len(users))
    return named


def own_grade_note(session: Session, period: AssessmentPeriod, member_id: int) -> str:
    """Whom a member of the committee leaves their own grade and feedback to, by name."""
    others = other_graders(session, period, member_id)
    if others:
        return _l(
            "Your own grade and feedback are set by another committee member (%(names)s) or "
            "by the unit above.",
            names=_names(others),
        )
    return _l(
        "Your own grade and feedback are set by the unit above: the branch has no other "
        "committee member."
    )


def _missing_message(session: Session, actor: User, period: AssessmentPeriod, missing: list):
    """Whose grade is missing and, when the actor's own is, who sets it (`own_grade_note`)."""
    names = _names(missing)
    if actor.id not in {member.id for member in missing}:
        return _l("Propose a grade for every member first. Missing: %(names)s.", names=names)
    return _l(
        "Propose a grade for every member first. Missing: %(names)s. %(own_note)s",
        names=names,
        own_note=own_grade_note(session, period, actor.id),
    )


def grades_of(session: Session, period: AssessmentPeriod) -> dict[int, AssessmentGrade]:
    return {
        g.member_id: g
        for g in session.scalars(
            sa.select(AssessmentGrade).where(AssessmentGrade.period_id == period.id)
        )
    }


def propose_grades(
    session: Session,
    actor: User,
    period: AssessmentPeriod,
    proposals: dict[int, tuple[Grade, str]],
    now: datetime,
) -> int:
    """Set the committee's grade and reason for the members given (all or nothing), never the
    actor's own. A grade given again as it stands keeps the unit above's decision on it; a
    changed grade or reason loses it. The changes, with any decision they undo, go to the
    audit log."""
    _require_committee(actor, period)
    if period.step != Step.COMMITTEE:
        raise DomainError(None, _l("Grades can only be proposed at the committee step."))
    if actor.id in proposals:
        raise DomainError(
            f"grade_{actor.id}",
            _l(
                "Nobody sets their own grade: another committee member of the branch or the "
                "unit above sets it."
            ),
        )
    members = {m.id for m in evidence.period_members(session, period)}
    reasons = {}
    for member_id, (_grade, reason) in proposals.items():
        reason = (reason or "").strip()
        if member_id not in members:
            raise DomainError(None, _l("A member on the sheet is not assessed in this period."))
        if not reason:
            raise DomainError(f"reason_{member_id}", _l("Give the reason for each grade."))
        if len(reason) > REASON_CHARS:
            raise DomainError(
                f"reason_{member_id}", _l("At most %(n)d characters.", n=REASON_CHARS)
            )
        reasons[member_id] = reason
    # Checked all first, so a bad line changes nothing, not even in the session.
    existing = grades_of(session, period)
    before, after = {}, {}
    for member_id, reason in reasons.items():
        grade = proposals[member_id][0]
        row = existing.get(member_id)
        if row is not None and (row.grade, row.reason) == (grade, reason):
            # The same proposal again: the unit above's decision on it still stands.
            continue
        key = str(member_id)
        after[key] = {"grade": grade.value, "reason": reason}
        if row is None:
            row = AssessmentGrade(period_id=period.id, member_id=member_id, feedback="")
            session.add(row)
        else:
            before[key] = {"grade": row.grade.value, "reason": row.reason}
            if row.approval != Approval.NOT_NEEDED:
                # The decision was on the old proposal: it goes, and the log says so.
                before[key] |= {"approval": row.approval.value, "note": row.decision_note}
                after[key]["approval"] = Approval.NOT_NEEDED.value
        row.grade, row.reason = grade, reason
        row.proposed_by_id, row.proposed_at = actor.id, now
        row.approval = Approval.NOT_NEEDED
        row.decided_by_id, row.decided_at, row.decision_note = None, None, ""
    session.flush()
    if after:
        # Every change of a proposal is kept, so one made after a reopen can be traced.
        record(
            session,
            actor,
            "assessment.grades_propose",
            "assessment_period",
            period.id,
            now=now,
            before=before,
            after=after,
        )
    return len(proposals)


@dataclass
class Check:
    missing: int  # assessed members without a grade
    excellent: int
    total: int

    @property
    def excellent_over_share(self) -> bool:
        """优秀 generally at most one third of the branch (DOMAIN.md)."""
        return self.total > 0 and Fraction(self.excellent, self.total) > EXCELLENT_SHARE


def check(session: Session, period: AssessmentPeriod) -> Check:
    members = evidence.period_members(session, period)
    grades = grades_of(session, period)
    return Check(
        missing=sum(1 for m in members if m.id not in grades),
        excellent=sum(1 for g in grades.values() if g.grade == Grade.EXCELLENT),
        total=len(members),
    )


def submit(
    session: Session, actor: User, period: AssessmentPeriod, justification: str, now: datetime
) -> Step:
    """Send the proposals on: 优秀 and 不合格 wait for the unit above, except those it has
    approved and the committee has not changed since; the rest need no approval. More than a
    third 优秀 needs a written justification."""
    _require_committee(actor, period)
    if period.step != Step.COMMITTEE:
        raise DomainError(None, _l("The proposals can only be submitted at the committee step."))
    state = check(session, period)
    if state.missing:
        grades = grades_of(session, period)
        missing = [m for m in evidence.period_members(session, period) if m.id not in grades]
        raise DomainError(None, _missing_message(session, actor, period, missing))
    justification = (justification or "").strip()
    if state.excellent_over_share and not justification:
        raise DomainError(
            "justification",
            _l("More than a third of the branch is proposed as excellent: give a justification."),
        )
    grades = grades_of(session, period)
    pending = 0
    for grade in grades.values():
        if grade.grade.needs_approval and grade.approval != Approval.APPROVED:
            grade.approval = Approval.PENDING
            pending += 1
        elif not grade.grade.needs_approval:
            grade.approval = Approval.NOT_NEEDED
    target = Step.APPROVAL if pending else Step.FEEDBACK
    move_step(
        session,
        period,
        Step.COMMITTEE,
        target,
        excellent_justification=justification if state.excellent_over_share else "",
    )
    record(
        session,
        actor,
        "assessment.submit",
        "assessment_period",
        period.id,
        now=now,
        after={
            "step": target.value,
            "excellent": state.excellent,
            "members": state.total,
            "justification": justification,
        },
    )
    return target


def decide(
    session: Session,
    actor: User,
    period: AssessmentPeriod,
    grade: AssessmentGrade,
    approve: bool,
    note: str,
    now: datetime,
) -> Step:
    """The unit above approves or returns one 优秀/不合格, never by its proposer or by the
    member graded (who may hold a role in the unit above). A return sends the period back to
    the committee; when nothing is pending any more the period moves on to feedback."""
    if not is_unit_above(actor, period.unit):
        raise DomainError(None, _l("Only the unit above the branch decides."))
    if period.step != Step.APPROVAL or grade.approval != Approval.PENDING:
        raise DomainError(None, _l("This grade is not waiting for a decision."))
    if actor.id == grade.proposed_by_id:
        raise DomainError(None, _l("The proposer cannot approve their own proposal."))
    if actor.id == grade.member_id:
        raise DomainError(
            None, _l("Your own grade is decided by another member of the unit above.")
        )
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError("note", _l("Say why the grade is returned."))
    grade.approval = Approval.APPROVED if approve else Approval.REJECTED
    grade.decided_by_id, grade.decided_at, grade.decision_note = actor.id, now, note[:REASON_CHARS]
    session.flush()
    record(
        session,
        actor,
        "assessment.grade_decide",
        "assessment_grade",
        grade.id,
        now=now,
        after={"grade": grade.grade.value, "approval": grade.approval.value, "note": note},
    )
    if not approve:
        move_step(session, period, Step.APPROVAL, Step.COMMITTEE)
        return Step.COMMITTEE
    if not any(g.approval == Approval.PENDING for g in grades_of(session, period).values()):
        move_step(session, period, Step.APPROVAL, Step.FEEDBACK)
        return Step.FEEDBACK
    return Step.APPROVAL


def save_feedback(
    session: Session, actor: User, period: AssessmentPeriod, grade: AssessmentGrade, text: str
) -> None:
    """What the committee tells the member along with the grade, never written by the member
    graded."""
    _require_committee(actor, period)
    if period.step != Step.FEEDBACK:
        raise DomainError("feedback", _l("Feedback is written at the feedback step."))
    if actor.id == grade.member_id:
        raise DomainError(
            "feedback",
            _l(
                "Nobody writes the feedback on their own grade: another committee member of "
                "the branch or the unit above writes it."
            ),
        )
    text = (text or "").strip()
    if len(text) > REASON_CHARS:
        raise DomainError("feedback", _l("At most %(n)d characters.", n=REASON_CHARS))
    grade.feedback = text
    session.flush()


def lock(session: Session, actor: User, period: AssessmentPeriod, now: datetime) -> None:
    """Publish the results to the members and close the period."""
    _require_committee(actor, period)
    if period.step != Step.FEEDBACK:
        raise DomainError(None, _l("Only a period at the feedback step can be closed."))
    move_step(session, period, Step.FEEDBACK, Step.LOCKED, locked_at=now)
    notify(
        session,
        list(grades_of(session, period)),
        RESULT,
        f"/assessments/periods/{period.id}/me",
        now,
        {"year": period.year, "period": period.id},
    )
    record(session, actor, "assessment.lock", "assessment_period", period.id, now=now)


def reopen(
    session: Session, actor: User, period: AssessmentPeriod, reason: str, now: datetime
) -> None:
    """Only the unit above reopens a closed period, with a reason; it goes back to the
    committee step and the reopening is logged with the grades as they stood."""
    if not is_unit_above(actor, period.unit):
        raise DomainError(None, _l("Only the unit above the branch can reopen a period."))
    if period.step != Step.LOCKED:
        raise DomainError(None, _l("Only a closed period can be reopened."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", _l("Give the reason for reopening."))
    before = {str(m): g.grade.value for m, g in grades_of(session, period).items()}
    move_step(session, period, Step.LOCKED, Step.COMMITTEE, locked_at=None)
    record(
        session,
        actor,
        "assessment.reopen",
        "assessment_period",
        period.id,
        now=now,
        before={"grades": before},
        after={"reason": reason[:REASON_CHARS]},
    )
