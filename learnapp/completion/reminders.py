"""Weekly reminders: members behind pace hear about it, each secretary gets a digest.

In-app notifications always; e-mail as well when SMTP is configured (LEARNAPP_SMTP_*) and the
person has given an address. The pace reminder can be muted; the secretary's digest is part of
the role and cannot. The job is idempotent per week: whoever already got this week's reminder
(counted from Monday, organisation time) is skipped, so a repeated run sends nothing new.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.clock import org_timezone
from learnapp.completion.member_rows import behind_count, behind_members
from learnapp.completion.notices import DIGEST, PACE, PACE_REMINDER, SECRETARY_DIGEST
from learnapp.completion.queries import Frame
from learnapp.errors import DomainError
from learnapp.hours.services import org_day
from learnapp.jobs import Summary
from learnapp.notifications.messages import Message, render_message
from learnapp.notifications.preferences import Audience, mute_kind
from learnapp.notifications.queries import muted_user_ids, notified_since, reminder_addresses
from learnapp.notifications.services import notify
from learnapp.orglife.claim_queries import pending_claim_count
from learnapp.orglife.queries import obligation_counts
from learnapp.orgs.models import Role, RoleAssignment, Unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderKind:
    kind: str
    label: object
    mandatory: bool
    audience: Audience = Audience.EVERYONE


KINDS = (
    ReminderKind(PACE, _l("Weekly reminder when I am behind pace"), mandatory=False),
    # Sent to holders of the secretary role only (secretary_digests).
    ReminderKind(
        DIGEST,
        _l("Weekly digest for secretaries"),
        mandatory=True,
        audience=Audience.SECRETARIES,
    ),
)


def kinds_for(user) -> list[ReminderKind]:
    """The reminders that can reach `user`: the digest only reaches secretaries."""
    return [item for item in KINDS if item.audience.includes(user)]


def kind_of(kind: str) -> ReminderKind:
    for item in KINDS:
        if item.kind == kind:
            return item
    raise DomainError("kind", _l("Unknown kind of reminder."))


def set_reminder_muted(session: Session, user, kind: str, muted: bool, now: datetime) -> None:
    """Mute or unmute a reminder; mandatory ones cannot be muted."""
    item = kind_of(kind)
    if muted and item.mandatory:
        raise DomainError("kind", _l("This reminder is part of your role and cannot be muted."))
    mute_kind(session, user, item.kind, muted, now)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the current week in the organisation's timezone."""
    day = org_day(now)
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=org_timezone())


def _path(endpoint: str, **values) -> str:
    # Jobs run outside a request: build the path from the URL map alone.
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _locale(user) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _users(session: Session, ids) -> list[User]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)))


@dataclass
class Mail:
    to: str
    subject: str
    body: str


def _mail(to: str, user, message: Message, params: dict, link: str) -> Mail:
    """The e-mail says what the notification says, in the recipient's language."""
    with force_locale(_locale(user)):
        text = render_message(message.key, params)
    return Mail(to, text.title, f"{text.body}\n\n{link}")


def pace_reminders(session: Session, now: datetime, frame: Frame, mails: list[Mail]) -> int:
    already = notified_since(session, PACE, week_start(now)) | muted_user_ids(session, PACE)
    behind = {
        member_id
        for root in session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)))
        for member_id, _name in behind_members(session, root, frame)
    }
    recipients = _users(session, behind - already)
    addresses = reminder_addresses(session, (u.id for u in recipients))
    link = _path("study.me")
    sent = 0
    for user in recipients:
        sent += notify(session, [user.id], PACE_REMINDER, link, now)
        if user.id in addresses:
            mails.append(_mail(addresses[user.id], user, PACE_REMINDER, {}, link))
    return sent


def _digest_params(session: Session, user, frame: Frame, today) -> dict:
    """What the secretary has to follow up: claims to approve, and for each unit they manage
    the members behind pace and, for a branch, the meetings overdue and due this period."""
    units = []
    for unit in user.managed_units:
        meetings = obligation_counts(session, unit, today) if unit.kind.is_branch else None
        units.append(
            {
                "unit": unit.name,
                "behind": behind_count(session, unit, frame),
                "overdue": meetings.overdue if meetings else 0,
                "due": meetings.due if meetings else 0,
            }
        )
    return {"claims": pending_claim_count(session, user), "units": units}


def secretary_digests(session: Session, now: datetime, frame: Frame, mails: list[Mail]) -> int:
    already = notified_since(session, DIGEST, week_start(now))
    secretary_ids = set(
        session.scalars(
            sa.select(RoleAssignment.user_id)
            .join(User, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.SECRETARY, User.is_active.is_(True))
        )
    )
    recipients = _users(session, secretary_ids - already)
    addresses = reminder_addresses(session, (u.id for u in recipients))
    link = _path("inbox.index")
    today = org_day(now)
    sent = 0
    for user in recipients:
        params = _digest_params(session, user, frame, today)
        sent += notify(session, [user.id], SECRETARY_DIGEST, link, now, params)
        if user.id in addresses:
            mails.append(_mail(addresses[user.id], user, SECRETARY_DIGEST, params, link))
    return sent


def send_mail(mails: list[Mail]) -> int:
    """Send by SMTP when configured; a failure is logged and never undoes the notifications."""
    config = current_app.config
    if not config.get("SMTP_HOST") or not mails:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            for mail in mails:
                message = EmailMessage()
                message["From"] = config["SMTP_FROM"]
                message["To"] = mail.to
                message["Subject"] = mail.subject
                message.set_content(mail.body)
                smtp.send_message(message)
                sent += 1
    except (OSError, smtplib.SMTPException):
        log.exception("reminder e-mail failed after %d of %d messages", sent, len(mails))
    return sent


def weekly_reminders(session: Session, now: datetime) -> Summary:
    """The scheduled job: pace reminders, then secretaries' digests, then e-mail."""
    frame = Frame.of(session, org_day(now).year, now)
    mails: list[Mail] = []
    members = pace_reminders(session, now, frame, mails)
    digests = secretary_digests(session, now, frame, mails)
    # Mail goes out last, after every notification is written; a mail failure is only
    # logged, so it never rolls the notifications back.
    session.flush()
    emailed = send_mail(mails)
    return Summary("sent", {"reminders": members, "digests": digests, "emails": emailed})
