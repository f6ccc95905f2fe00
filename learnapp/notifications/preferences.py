"""Which kinds of notification a member receives.

Each package that sends notifications registers its kinds once, at import time, with a label
and whether the kind is mandatory (an announcement from the party organisation, a decision about
one's own post, a reminder of an obligation). A member may mute any kind that is not mandatory;
`notify` then skips them for that kind. Kinds nobody registered are always delivered and are not
offered on the settings page, so a sender that forgets to register loses nothing.

A kind may be meant for one audience only (administrators' complaint queue, secretaries' digest):
the settings pages offer and list a kind only to the people it can reach.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column

from learnapp.db import Base
from learnapp.errors import DomainError


class ReminderMute(Base):
    """A kind of notification one member has muted (the name predates other kinds)."""

    __tablename__ = "notification_mutes"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]


class Audience(enum.StrEnum):
    """Who a kind of notification can reach."""

    EVERYONE = "everyone"
    SECRETARIES = "secretaries"  # holders of the 书记 role
    BANK_EDITORS = "bank_editors"  # who write questions: 题库编辑 and administrators
    ADMINS = "admins"

    def includes(self, user) -> bool:
        from learnapp.orgs.models import Role

        if self == Audience.SECRETARIES:
            return user.has_role(Role.SECRETARY)
        if self == Audience.BANK_EDITORS:
            return user.is_admin or user.has_role(Role.BANK_EDITOR)
        if self == Audience.ADMINS:
            return user.is_admin
        return True


@dataclass(frozen=True)
class Kind:
    key: str  # stored on each notification; at most 32 characters
    label: str  # translated (lazy), shown on the settings page
    mandatory: bool = False
    audience: Audience = Audience.EVERYONE


KINDS: dict[str, Kind] = {}


def register_kind(
    key: str, label, *, mandatory: bool = False, audience: Audience = Audience.EVERYONE
) -> Kind:
    """Declare a kind of notification (idempotent; re-registering must not change it)."""
    if len(key) > 32:
        raise ValueError(f"notification kind {key!r} is longer than 32 characters")
    kind = Kind(key, label, mandatory, Audience(audience))
    existing = KINDS.setdefault(key, kind)
    if existing != kind:
        raise ValueError(f"notification kind {key!r} is registered differently already")
    return existing


def kinds_for(user) -> list[Kind]:
    """The registered kinds that can reach `user`, in registration order."""
    return [kind for kind in KINDS.values() if kind.audience.includes(user)]


def mutable_kinds(user=None) -> list[Kind]:
    """The kinds a member may mute, in registration order (only those that can reach `user`,
    when given)."""
    kinds = KINDS.values() if user is None else kinds_for(user)
    return [kind for kind in kinds if not kind.mandatory]


def muted_kinds(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(sa.select(ReminderMute.kind).where(ReminderMute.user_id == user_id)))


def mute_kind(session: Session, user, kind: str, muted: bool, now: datetime) -> None:
    """Mute or unmute one kind for the member, whatever they chose for the others (callers
    refuse mandatory kinds: the pace reminder's page does)."""
    existing = session.scalar(
        sa.select(ReminderMute).where(ReminderMute.user_id == user.id, ReminderMute.kind == kind)
    )
    if muted and existing is None:
        session.add(ReminderMute(user_id=user.id, kind=kind[:32], created_at=now))
    elif not muted and existing is not None:
        session.delete(existing)
    session.flush()


def set_muted(session: Session, user, muted: Iterable[str], now: datetime) -> None:
    """Replace the member's muted kinds among the registered, non-mandatory ones that can reach
    them.

    Mutes of kinds kept elsewhere (the weekly pace reminder has its own page) and of kinds meant
    for other people (kept should the member later take on the role) are left alone.
    """
    wanted = set(muted)
    allowed = {kind.key for kind in mutable_kinds(user)}
    if not wanted <= allowed:
        raise DomainError("muted", _l("This kind of notification cannot be muted."))
    current = muted_kinds(session, user.id)
    unmuted = (current - wanted) & allowed
    if unmuted:
        session.execute(
            sa.delete(ReminderMute).where(
                ReminderMute.user_id == user.id, ReminderMute.kind.in_(unmuted)
            )
        )
    for key in sorted(wanted - current):
        session.add(ReminderMute(user_id=user.id, kind=key, created_at=now))
    session.flush()


def drop_muted(session: Session, user_ids: list[int], kind: str) -> list[int]:
    """The recipients who have not muted `kind` (everyone for mandatory or unknown kinds)."""
    registered = KINDS.get(kind)
    if registered is None or registered.mandatory or not user_ids:
        return user_ids
    muting = set(
        session.scalars(
            sa.select(ReminderMute.user_id).where(
                ReminderMute.kind == kind, ReminderMute.user_id.in_(user_ids)
            )
        )
    )
    return [user_id for user_id in user_ids if user_id not in muting]


class ReminderAddress(Base):
    """Where a person's reminders are e-mailed too, when the platform has SMTP configured."""

    __tablename__ = "notification_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime]
