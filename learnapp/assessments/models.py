"""Member assessment (民主评议党员 and 积分): periods, versioned scoring rules, frozen evidence
dossiers, bonus and deduction items, and the steps of the 民主评议 workflow.

Ballots of the anonymous evaluation (民主测评) carry nothing that could lead back to a voter:
no voter id, no timestamp, a random key rather than a sequence, and on SQLite no rowid (so
neither key nor storage order follows the order of voting). The slots are created blank, all
at once, when the evaluation opens; a vote fills a random free slot in the one statement that
rewrites every slot of the period, so on PostgreSQL every row carries the same writing
transaction id and keeps its storage order (see ballots.py). `VoterRoll` only says whether a member has voted.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.accounts.models import User
from learnapp.db import Base, enum_type
from learnapp.orgs.models import Unit


class Step(enum.StrEnum):
    """The period's state; the order is the workflow's (DOMAIN.md, Assessment)."""

    DRAFT = "draft"  # rules can still change; the preview shows what they would give
    SELF_APPRAISAL = "self_appraisal"  # 个人自评
    PEER_REVIEW = "peer_review"  # 党员互评
    EVALUATION = "evaluation"  # 民主测评 (anonymous ballots)
    COMMITTEE = "committee"  # 支委会 proposes grades; dossiers are frozen on entering it
    APPROVAL = "approval"  # 优秀 and 不合格 wait for the unit above
    FEEDBACK = "feedback"  # results go back to the members
    LOCKED = "locked"  # closed; only the unit above can reopen it

    @property
    def position(self) -> int:
        return STEP_ORDER.index(self)


STEP_ORDER = tuple(Step)
# Steps the schedule opens by itself: the step that follows each one and the period's field
# holding the time it opens.
SCHEDULED = {
    Step.DRAFT: (Step.SELF_APPRAISAL, "self_opens_at"),
    Step.SELF_APPRAISAL: (Step.PEER_REVIEW, "peer_opens_at"),
    Step.PEER_REVIEW: (Step.EVALUATION, "ballot_opens_at"),
    Step.EVALUATION: (Step.COMMITTEE, "ballot_closes_at"),
}


class Grade(enum.StrEnum):
    EXCELLENT = "excellent"  # 优秀: needs the unit above
    QUALIFIED = "qualified"  # 合格
    BASIC = "basic"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格: needs the unit above

    @property
    def needs_approval(self) -> bool:
        return self in (Grade.EXCELLENT, Grade.UNQUALIFIED)


GRADE_ORDER = tuple(Grade)


class Approval(enum.StrEnum):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PointKind(enum.StrEnum):
    BONUS = "bonus"  # 加分
    DEDUCTION = "deduction"  # 减分


class PointState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    LAPSED = "lapsed"  # 已失效: still undecided when the dossiers were frozen; never counted


class AssessmentRuleSet(Base):
    """One version of the scoring rules, stored as data (see assessments.rules.ScoreRules).

    Never edited once written: an amendment is a new version, and a dossier keeps a copy of
    the rules it was scored with.
    """

    __tablename__ = "assessment_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32), unique=True)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.Text)
    rules: Mapped[dict] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]


class AssessmentPeriod(Base):
    __tablename__ = "assessment_periods"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    year: Mapped[int]
    rule_set_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_rule_sets.id"))
    step: Mapped[Step] = mapped_column(enum_type(Step), index=True)
    self_opens_at: Mapped[datetime]
    peer_opens_at: Mapped[datetime]
    ballot_opens_at: Mapped[datetime]
    ballot_closes_at: Mapped[datetime]
    # Why more than a third are proposed 优秀, when they are (required then).
    excellent_justification: Mapped[str] = mapped_column(sa.Text, default="")
    # Who is on every ballot, fixed when the evaluation opens (see ballots.py).
    ballot_member_ids: Mapped[list | None] = mapped_column(sa.JSON)
    # The step whose "closes soon" reminder went out, so the job sends it once.
    reminded_step: Mapped[str] = mapped_column(sa.String(32), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    frozen_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")
    rule_set: Mapped[AssessmentRuleSet] = relationship(lazy="joined")


class Dossier(Base):
    """Evidence for the committee, frozen when the evaluation closes: never a grade.

    `evidence` holds what the read functions gave; `rules` and `rule_version` are the copy of
    the rule set the score was computed with, so amending the rules later changes nothing here.
    """

    __tablename__ = "assessment_dossiers"
    __table_args__ = (sa.UniqueConstraint("period_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    evidence: Mapped[dict] = mapped_column(sa.JSON)
    score: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    rule_set_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_rule_sets.id"))
    rule_version: Mapped[str] = mapped_column(sa.String(32))
    rules: Mapped[dict] = mapped_column(sa.JSON)
    frozen_at: Mapped[datetime]


class PointItem(Base):
    """A bonus or deduction (积分) for one period: evidence required, counted once approved.
    One still pending when the dossiers are frozen lapses (`decided_at` is then when it did)."""

    __tablename__ = "assessment_point_items"
    __table_args__ = (
        sa.CheckConstraint("points > 0 AND points <= 100", name="points_range"),
        sa.Index("ix_assessment_point_items_period_member", "period_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[PointKind] = mapped_column(enum_type(PointKind))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    reason: Mapped[str] = mapped_column(sa.String(300))
    evidence: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[PointState] = mapped_column(enum_type(PointState))
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    member: Mapped[User] = relationship(foreign_keys=[member_id], lazy="joined")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")


class SelfAppraisal(Base):
    """个人自评: the member's own written account of the year."""

    __tablename__ = "assessment_self_appraisals"
    __table_args__ = (sa.UniqueConstraint("period_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]


class PeerReview(Base):
    """党员互评: a signed comment by one member on another of the same group or branch."""

    __tablename__ = "assessment_peer_reviews"
    __table_args__ = (sa.UniqueConstraint("period_id", "author_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    comment: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")


class VoterRoll(Base):
    """Who may vote in the evaluation and whether they have: nothing about what or when."""

    __tablename__ = "assessment_voter_roll"
    __table_args__ = {"sqlite_with_rowid": False}

    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    has_voted: Mapped[bool] = mapped_column(default=False)


class Ballot(Base):
    """One anonymous ballot slot: blank until a vote fills it (see the module docstring).

    `ratings` is JSON text {member id: grade} covering every member of the period, the voter
    included, so that which members a ballot names cannot single out who cast it.
    """

    __tablename__ = "assessment_ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"), index=True)
    ratings: Mapped[str | None] = mapped_column(sa.Text)


class AssessmentGrade(Base):
    """The committee's proposed grade with its reason, the unit above's decision, and the
    feedback the member receives."""

    __tablename__ = "assessment_grades"
    __table_args__ = (sa.UniqueConstraint("period_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_periods.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    grade: Mapped[Grade] = mapped_column(enum_type(Grade))
    reason: Mapped[str] = mapped_column(sa.Text)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[datetime]
    approval: Mapped[Approval] = mapped_column(enum_type(Approval))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    feedback: Mapped[str] = mapped_column(sa.Text, default="")

    member: Mapped[User] = relationship(foreign_keys=[member_id], lazy="joined")
