"""The organisation tree (组织), member categories, roles held in units, and member transfers."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, PathString, enum_type


class UnitKind(enum.StrEnum):
    COMMITTEE = "committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    JOINT_BRANCH = "joint_branch"  # 联合党支部
    TEMPORARY_BRANCH = "temporary_branch"  # 临时党支部
    MOBILE_BRANCH = "mobile_branch"  # 流动党员党支部
    GROUP = "group"  # 党小组

    @property
    def is_branch(self) -> bool:
        return self in BRANCH_KINDS


BRANCH_KINDS = frozenset(
    {UnitKind.BRANCH, UnitKind.JOINT_BRANCH, UnitKind.TEMPORARY_BRANCH, UnitKind.MOBILE_BRANCH}
)

# Which kinds may sit directly under which (DOMAIN.md): a group only inside a branch.
ALLOWED_CHILDREN = {
    UnitKind.COMMITTEE: {UnitKind.COMMITTEE, UnitKind.GENERAL_BRANCH, *BRANCH_KINDS},
    UnitKind.GENERAL_BRANCH: set(BRANCH_KINDS),
    **{kind: {UnitKind.GROUP} for kind in BRANCH_KINDS},
    UnitKind.GROUP: set(),
}


class MemberCategory(enum.StrEnum):
    FULL = "full"  # 正式党员
    PROBATIONARY = "probationary"  # 预备党员: no vote
    CANDIDATE = "candidate"  # 发展对象
    ACTIVIST = "activist"  # 入党积极分子
    MASSES = "masses"  # 群众 (non-member learner)

    @property
    def is_party_member(self) -> bool:
        return self in (MemberCategory.FULL, MemberCategory.PROBATIONARY)


class Role(enum.StrEnum):
    SECRETARY = "secretary"  # 书记
    COMMITTEE_MEMBER = "committee_member"  # 委员
    BANK_EDITOR = "bank_editor"  # 题库编辑
    REVIEWER = "reviewer"  # 审核
    ADMIN = "admin"  # 平台管理员

    @property
    def manages_unit(self) -> bool:
        """Roles that see and manage the unit's subtree (书记, 委员, admin)."""
        return self in (Role.SECRETARY, Role.COMMITTEE_MEMBER, Role.ADMIN)


# 书记 and 委员: held only by a full party member (正式党员) of the unit or a unit under it.
LEADERSHIP_ROLES = frozenset({Role.SECRETARY, Role.COMMITTEE_MEMBER})


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[UnitKind] = mapped_column(enum_type(UnitKind))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    # Materialised path of ids, "/1/4/9/": a subtree is one prefix query.
    path: Mapped[str] = mapped_column(PathString, index=True, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent", order_by="Unit.id")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def is_within(self, other: "Unit") -> bool:
        return self.path.startswith(other.path)

    def may_hold(self, child: "Unit") -> bool:
        """`child` may sit directly under this unit: the kinds nest as DOMAIN.md says, and the
        tree keeps no cycle (a unit never goes under itself or a unit below it)."""
        return child.kind in ALLOWED_CHILDREN[self.kind] and not self.is_within(child)


class RoleAssignment(Base):
    """A role held *in* a unit; managing roles reach the unit's whole subtree."""

    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    granted_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship(lazy="joined")


class MemberTransfer(Base):
    """History of a member moving between units (组织关系转接), kept forever."""

    __tablename__ = "member_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    from_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    moved_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id], lazy="joined")
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id], lazy="joined")


class StandingChange(Base):
    """A change of what decides a member's annual 学时 requirement (DOMAIN.md, Study hours):
    their category (a party member's requirement), 年老体弱 (exempt), and whether they hold a
    书记 or 委员 role anywhere (the higher target). Kept forever, appended in time order.

    A finished year is judged by the standing at its end: the `*_before` values of the member's
    first change after it, else their standing now. `*_before` all NULL mark where the record
    begins for a member whose earlier changes the platform does not hold (accounts older than
    this history that the audit log could not account for): before it, today's standing is
    used and the pages say so.
    """

    __tablename__ = "standing_changes"
    __table_args__ = (
        sa.CheckConstraint(
            "(category_before IS NULL) = (is_elderly_exempt_before IS NULL) "
            "AND (category_before IS NULL) = (is_leader_before IS NULL)",
            name="before_all_or_none",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Indexed: a past year reads only the changes since it ended.
    changed_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    category_before: Mapped[MemberCategory | None] = mapped_column(enum_type(MemberCategory))
    is_elderly_exempt_before: Mapped[bool | None]
    is_leader_before: Mapped[bool | None]
    category_after: Mapped[MemberCategory] = mapped_column(enum_type(MemberCategory))
    is_elderly_exempt_after: Mapped[bool]
    is_leader_after: Mapped[bool]
