"""The question bank: banks, the knowledge-point tree, questions and their versions, tags and the
source documents questions cite.

A question is the stable identity (status, author, reviewer, knowledge point, tags); its text,
key and points live in numbered versions. A version that has been used (`used_at`) is frozen:
editing the question then adds a version, and attempts keep pointing at the one they asked.
"""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type
from learnapp.errors import DomainError


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"  # 草稿
    IN_REVIEW = "in_review"  # 待审核
    ACTIVE = "active"  # 已启用: quizzes draw it (and approved versions: version_in_use_id)
    RETIRED = "retired"  # 已停用


class ReviewFlag(enum.StrEnum):
    """Why the platform, not a person, sent a question (back) to review. Stored as a code and
    worded in the reader's language when shown (`Question.status_reason_text`)."""

    EDITED_AFTER_APPROVAL = "edited_after_approval"
    SOURCE_SUPERSEDED = "source_superseded"  # status_reason holds the document's title


class Audience(enum.StrEnum):
    ALL = "all"  # everyone who studies
    PARTY_MEMBERS = "party_members"  # 正式、预备党员
    LEADERS = "leaders"  # 书记、委员
    APPLICANTS = "applicants"  # 入党积极分子、发展对象


class QuestionBank(Base):
    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # None: a platform-wide bank every editor reaches.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    two_person_review: Mapped[bool] = mapped_column(default=True)
    # The bank the starter content is imported into.
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    unit = relationship("Unit", lazy="joined")


class KnowledgePoint(Base):
    """A node of a bank's knowledge tree (党章 › 第一章 党员)."""

    __tablename__ = "knowledge_points"
    __table_args__ = (sa.UniqueConstraint("bank_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("knowledge_points.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # Materialised path of ids, "/3/8/": a subtree is one prefix query.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    # The names joined with " › ", for display and for matching import paths.
    full_name: Mapped[str] = mapped_column(sa.String(500), default="")

    parent: Mapped["KnowledgePoint | None"] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def names(self) -> list[str]:
        return self.full_name.split(" › ")


class Tag(Base):
    __tablename__ = "question_tags"
    __table_args__ = (sa.UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))


question_tag_links = sa.Table(
    "question_tag_links",
    Base.metadata,
    sa.Column("question_id", sa.ForeignKey("questions.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("question_tags.id"), primary_key=True, index=True),
)


class SourceDocument(Base):
    """One version of a document questions cite (《中国共产党章程》 2022-10-22)."""

    __tablename__ = "source_documents"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(64), default="")
    is_superseded: Mapped[bool] = mapped_column(default=False)
    superseded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}".strip()


class Question(Base):
    """No index leads with bank_id, type or difficulty, on purpose: SQLite has no statistics
    unless someone runs ANALYZE, takes any equality index as selective, walks it and sorts every
    row for ORDER BY id. A scan in id (rowid) order is twice as fast over a whole bank and stops
    after one page (bench/RESULTS.md, question bank). The one exception leads with status and
    then bank_id: a query on the bank alone cannot search it, while a bank's counts by status
    read the index only, and a status's rows come out of it in id order."""

    __tablename__ = "questions"
    __table_args__ = (sa.Index("ix_questions_status_bank_id", "status", "bank_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id"))
    type: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[QuestionStatus] = mapped_column(
        enum_type(QuestionStatus), default=QuestionStatus.DRAFT
    )
    knowledge_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("knowledge_points.id"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    # The version the reviewer approved or sent back, as it was then (`reviewer_of`): an edit
    # since, a new version or a change in place, is not theirs to answer for.
    reviewed_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", use_alter=True)
    )
    # Why the question is in review or back in draft: a reviewer's words when sent back; with
    # `status_reason_code`, a flag of the platform (and its detail, such as a document title).
    # Flags stored before codes existed have text here and no code.
    status_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    status_reason_code: Mapped[ReviewFlag | None] = mapped_column(enum_type(ReviewFlag))
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", use_alter=True)
    )
    # Copies of the current version's stem: the list and search read one table, and
    # `stem_key` (normalise_stem) finds duplicates.
    stem: Mapped[str] = mapped_column(sa.Text, default="")
    stem_key: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    difficulty: Mapped[int] = mapped_column(default=2)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Counts every change (`touch`): an edit form carries the revision it was opened at, and a
    # save from a form opened before another change (anyone's, the same editor's in another
    # tab too) is refused, not applied over it.
    revision: Mapped[int] = mapped_column(default=1)

    bank: Mapped[QuestionBank] = relationship()
    knowledge_point: Mapped[KnowledgePoint | None] = relationship(lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    current_version: Mapped["QuestionVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=question_tag_links, lazy="selectin", order_by=Tag.name
    )

    @property
    def status_reason_text(self) -> str:
        """The reason shown with the status: a platform flag in the reader's language, a
        reviewer's words (or a flag stored before codes existed) as written."""
        if self.status_reason_code == ReviewFlag.SOURCE_SUPERSEDED:
            return _l(
                "Source superseded: %(source)s. Check the question against the new version.",
                source=self.status_reason,
            )
        if self.status_reason_code == ReviewFlag.EDITED_AFTER_APPROVAL:
            return _l("Edited after approval.")
        return self.status_reason

    @hybrid_property
    def is_edit_in_review(self) -> bool:
        """An edit of an approved question awaits review: the question was active, and its
        `reviewed_version_id` is the version the reviewer approved."""
        return (
            self.status == QuestionStatus.IN_REVIEW
            and self.status_reason_code == ReviewFlag.EDITED_AFTER_APPROVAL
        )

    @is_edit_in_review.inplace.expression
    @classmethod
    def _is_edit_in_review_expression(cls):
        return sa.and_(
            cls.status == QuestionStatus.IN_REVIEW,
            cls.status_reason_code == ReviewFlag.EDITED_AFTER_APPROVAL,
        )

    @hybrid_property
    def version_in_use_id(self) -> int | None:
        """The version quizzes ask, or None when the question is not to be asked. An active
        question's current version; while an edit awaits review, the version a reviewer
        approved, so that an edit never takes a question out of quizzes and its unreviewed text
        never reaches a member. Drafts, questions never approved, questions flagged because their
        source was superseded (their approved text is in doubt) and retired ones: None."""
        if self.status == QuestionStatus.ACTIVE:
            return self.current_version_id
        return self.reviewed_version_id if self.is_edit_in_review else None

    @version_in_use_id.inplace.expression
    @classmethod
    def _version_in_use_id_expression(cls):
        return sa.case(
            (cls.status == QuestionStatus.ACTIVE, cls.current_version_id),
            (cls.is_edit_in_review, cls.reviewed_version_id),
            else_=sa.null(),
        )

    def reviewer_of(self, version: "QuestionVersion"):
        """Who reviewed `version`: None when the review was of another version or the version
        changed since, so that nobody passes for the reviewer of text they have not read."""
        return self.reviewer if version.id == self.reviewed_version_id else None

    def touch(self, now: datetime) -> None:
        """Record a change: `updated_at`, and one more `revision` (counted by the database, so
        two changes at once both count)."""
        self.updated_at = now
        self.revision = Question.revision + 1

    def _set_reason(self, reason: str, code: ReviewFlag | None = None) -> None:
        self.status_reason, self.status_reason_code = reason[:300], code

    def _move(self, allowed: tuple[QuestionStatus, ...], target: QuestionStatus) -> None:
        if self.status not in allowed:
            raise DomainError(
                None,
                _l("This question cannot go from “%(old)s” to “%(new)s”.")
                % {"old": STATUS_LABELS[self.status], "new": STATUS_LABELS[target]},
            )
        self.status = target

    def submit_for_review(self) -> None:
        self._move((QuestionStatus.DRAFT,), QuestionStatus.IN_REVIEW)
        self._set_reason("")

    def approve(self, reviewer_id: int, now: datetime) -> None:
        self._move((QuestionStatus.IN_REVIEW,), QuestionStatus.ACTIVE)
        self._reviewed(reviewer_id, now)
        self._set_reason("")

    def reject(self, reviewer_id: int, reason: str, now: datetime) -> None:
        self._move((QuestionStatus.IN_REVIEW,), QuestionStatus.DRAFT)
        self._reviewed(reviewer_id, now)
        self._set_reason(reason)

    def keep_approved(self) -> None:
        """An edit of an approved question is sent back: the question stays active with the
        approved version (the caller makes it current again and marks the proposal rejected)."""
        if not self.is_edit_in_review:
            raise DomainError(None, _l("This question has no edit awaiting review."))
        self._move((QuestionStatus.IN_REVIEW,), QuestionStatus.ACTIVE)
        self._set_reason("")

    def _reviewed(self, reviewer_id: int | None, now: datetime) -> None:
        self.reviewer_id, self.reviewed_at = reviewer_id, now
        self.reviewed_version_id = self.current_version_id

    def flag_for_review(self, flag: ReviewFlag, detail: str = "") -> None:
        """An active question goes back to review; drafts and questions in review keep their
        status and only take the flag (with its detail, see ReviewFlag)."""
        if self.status == QuestionStatus.ACTIVE:
            self._move((QuestionStatus.ACTIVE,), QuestionStatus.IN_REVIEW)
        self._set_reason(detail, flag)

    def retire(self) -> None:
        self._move(
            (QuestionStatus.DRAFT, QuestionStatus.IN_REVIEW, QuestionStatus.ACTIVE),
            QuestionStatus.RETIRED,
        )

    def reopen(self) -> None:
        self._move((QuestionStatus.RETIRED,), QuestionStatus.DRAFT)
        self._set_reason("")


class QuestionVersion(Base):
    __tablename__ = "question_versions"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "number"),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("use_count >= 0", name="use_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    number: Mapped[int]
    stem: Mapped[str] = mapped_column(sa.Text)
    spec: Mapped[dict] = mapped_column(sa.JSON)
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    difficulty: Mapped[int] = mapped_column(default=2)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    # 出处 as written (document and article) and 依据版本; `source_id` is the parsed document.
    source_document: Mapped[str] = mapped_column(sa.String(200), default="")
    source_version: Mapped[str] = mapped_column(sa.String(64), default="")
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("source_documents.id"), index=True)
    audience: Mapped[Audience] = mapped_column(enum_type(Audience), default=Audience.ALL)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Set by `mark_used` the first time an attempt or paper takes this version; from then on
    # the version is frozen.
    used_at: Mapped[datetime | None]
    use_count: Mapped[int] = mapped_column(default=0)
    # An edit of an approved question sent back by a reviewer: the proposal stays readable with
    # the reviewer's words, and the approved version goes on being asked.
    rejected_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    question: Mapped[Question] = relationship(foreign_keys=[question_id])
    source: Mapped[SourceDocument | None] = relationship(lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    rejected_by = relationship("User", foreign_keys=[rejected_by_id])


STATUS_LABELS = {
    QuestionStatus.DRAFT: _l("Draft"),
    QuestionStatus.IN_REVIEW: _l("In review"),
    QuestionStatus.ACTIVE: _l("In use"),
    QuestionStatus.RETIRED: _l("Withdrawn"),
}
AUDIENCE_LABELS = {
    Audience.ALL: _l("Everyone"),
    Audience.PARTY_MEMBERS: _l("Party members"),
    Audience.LEADERS: _l("Secretaries and committee members"),
    Audience.APPLICANTS: _l("Activists and candidates"),
}
