"""The weekly reminders: who is told, mutes, the secretaries' digest, e-mail, idempotency."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.completion import reminders
from learnapp.completion.reminders import DIGEST, PACE, set_reminder_muted, weekly_reminders
from learnapp.errors import DomainError
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import ensure_default_rule_set
from learnapp.jobs import JobOutcome, run_job
from learnapp.notifications.messages import render
from learnapp.notifications.models import Notification
from learnapp.notifications.services import set_reminder_address
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.world import build_world


def _sent(session, kind):
    return {
        n.user_id: n
        for n in session.scalars(sa.select(Notification).where(Notification.kind == kind))
    }


def _done(session, member):
    rule_set = ensure_default_rule_set(session, FIXED_NOW)
    session.execute(
        sa.insert(LedgerEntry).values(
            member_id=member.id,
            category=HoursCategory.CENTRALISED,
            source_type=SourceType.CLAIM,
            source_id="1",
            verified_seconds=0,
            hours=Decimal("40"),
            nominal_hours=Decimal("40"),
            rule_set_id=rule_set.id,
            credited_on=date(2026, 1, 5),
            year=2026,
            status=EntryStatus.CREDITED,
            created_at=FIXED_NOW,
            note="",
        )
    )


def test_members_behind_are_reminded_once_a_week_unless_muted(session, ctx):
    world = build_world(session)
    _done(session, world.member_a)
    set_reminder_muted(session, world.member_b, PACE, True, FIXED_NOW)
    summary = weekly_reminders(session, FIXED_NOW)
    sent = _sent(session, PACE)
    assert world.member_a.id not in sent  # done
    assert world.member_b.id not in sent  # muted
    assert world.secretary_a.id in sent and world.general_secretary.id in sent
    assert sent[world.secretary_a.id].link == "/study/me"
    assert summary.params["reminders"] == len(sent)
    # The same week again: nothing new.
    again = weekly_reminders(session, FIXED_NOW).params
    assert again["reminders"] == again["digests"] == 0
    # The next week: reminded again.
    assert weekly_reminders(session, datetime(2026, 3, 17, 2, tzinfo=UTC)).params["reminders"]


def test_each_secretary_gets_a_digest_that_cannot_be_muted(session, ctx):
    world = build_world(session)
    with pytest.raises(DomainError):
        set_reminder_muted(session, world.secretary_a, DIGEST, True, FIXED_NOW)
    weekly_reminders(session, FIXED_NOW)
    digests = _sent(session, DIGEST)
    assert set(digests) == {world.secretary_a.id, world.general_secretary.id}
    assert world.branch_a.name in render(digests[world.secretary_a.id]).body
    assert digests[world.secretary_a.id].link == "/inbox"


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what would have been sent."""

    sent: list = []

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_reminders_are_emailed_when_smtp_is_configured(session, ctx, app, monkeypatch):
    world = build_world(session)
    set_reminder_address(session, world.member_b, "memb@example.org", FIXED_NOW)
    FakeSMTP.sent = []
    monkeypatch.setattr(reminders.smtplib, "SMTP", FakeSMTP)
    weekly_reminders(session, FIXED_NOW)
    assert FakeSMTP.sent == []  # no SMTP host: in-app only
    app.config["SMTP_HOST"] = "smtp.example.org"
    weekly_reminders(session, datetime(2026, 3, 17, 2, tzinfo=UTC))
    assert [m["To"] for m in FakeSMTP.sent] == ["memb@example.org"]


def test_the_job_is_registered_and_runs(app, session):
    build_world(session)
    with app.app_context():
        run = run_job("completion.weekly_reminders")
    assert run.outcome == JobOutcome.SUCCESS, run.error
    reload(session)
    assert _sent(session, PACE)


def test_the_reminder_page_mutes_the_pace_reminder_and_keeps_an_address(session, auth):
    world = build_world(session)
    auth.login("memb")
    assert auth.client.get("/completion/reminders").status_code == 200
    response = auth.post("/completion/reminders", {"email": "memb@example.org"})
    assert response.status_code == 302
    assert auth.post("/completion/reminders", {"email": "not an address"}).status_code == 400
    with auth.client.application.test_request_context():
        weekly_reminders(session, FIXED_NOW)
    assert world.member_b.id not in _sent(session, PACE)


def test_saving_notification_settings_keeps_the_pace_reminder_muted(session, auth):
    world = build_world(session)
    with auth.client.application.test_request_context():
        set_reminder_muted(session, world.member_b, PACE, True, FIXED_NOW)
    session.commit()
    auth.login("memb")
    assert auth.post("/notifications/settings", {"receive": ["mention"]}).status_code == 302
    session.rollback()
    with auth.client.application.test_request_context():
        weekly_reminders(session, FIXED_NOW)
    assert world.member_b.id not in _sent(session, PACE)
