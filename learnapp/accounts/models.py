"""Accounts: the person who logs in, their login sessions and the login throttle."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type, path_key
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment, Unit


class User(Base):
    """A person: a login identity and, when `unit_id` is set, a member of that unit."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    # None: the account cannot log in until an admin sets a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # An initial password someone else chose (an admin's reset, an issued initial password):
    # until the person sets their own, only the change-password page is open to them.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    category: Mapped[MemberCategory] = mapped_column(
        enum_type(MemberCategory), default=MemberCategory.FULL
    )
    is_mobile: Mapped[bool] = mapped_column(default=False)  # 流动党员
    is_retired: Mapped[bool] = mapped_column(default=False)  # 离退休
    is_elderly_exempt: Mapped[bool] = mapped_column(default=False)  # 年老体弱: exempt
    # Indexed: the oldest account is where the platform's years begin (completion).
    created_at: Mapped[datetime] = mapped_column(index=True)
    password_changed_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    roles: Mapped[list[RoleAssignment]] = relationship(
        foreign_keys=[RoleAssignment.user_id], lazy="selectin", order_by=RoleAssignment.id
    )

    # Flask-Login protocol. The id handed to Flask-Login is the login session's id (see
    # AuthSession), so logging out or changing the password invalidates the cookie.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return self._auth_session_id

    def has_role(self, role: Role) -> bool:
        return any(assignment.role == role for assignment in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def managed_units(self) -> list[Unit]:
        """Units whose subtree this person manages (secretary, committee member, admin)."""
        return [a.unit for a in self.roles if a.role.manages_unit]

    @property
    def outermost_managed_units(self) -> list[Unit]:
        """The managed units that lie in no other one (a 党委, not also the branch under it
        where the same person is 书记 too): their subtrees cover all the others. Tree order."""
        units = list({unit.id: unit for unit in self.managed_units}.values())
        outermost = [
            unit
            for unit in units
            if not any(other is not unit and unit.is_within(other) for other in units)
        ]
        return sorted(outermost, key=lambda unit: path_key(unit.path))

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_units)

    @property
    def awaits_own_password(self) -> bool:
        """An active account without a password of its owner's choosing: none at all, or an
        initial one not yet replaced (accounts.queries.awaiting_password_clause in SQL)."""
        return self.is_active and (self.password_hash is None or self.must_change_password)


class AuthSession(Base):
    """A server-side login session; the cookie only carries its random id."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed-login counters keyed by account name or client address, shared by all workers."""

    __tablename__ = "login_throttles"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_non_negative"),)

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(index=True)
