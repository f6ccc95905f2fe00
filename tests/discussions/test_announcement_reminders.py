"""Read receipts of an announcement: reminding those who have not read it, and the CSV export."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from learnapp.audit.models import AuditEntry
from learnapp.discussions.notices import ANNOUNCEMENT_REMINDER
from learnapp.discussions.services.announcements import (
    mark_announcement_read,
    publish_announcement,
    receipts_table,
    remind_unread,
)
from learnapp.errors import DomainError
from learnapp.notifications.messages import render_message
from learnapp.notifications.models import Notification
from learnapp.orgs.models import Role
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

# FIXED_NOW is 10:00 in Shanghai; the organisation's next day starts 14 hours later.
NEXT_DAY = FIXED_NOW + timedelta(hours=14)


def _publish(session, author, unit, *, expires_at=None):
    return publish_announcement(
        session,
        author,
        unit,
        title="关于缴纳党费的通知",
        body="请按时缴纳。",
        expires_at=expires_at,
        now=FIXED_NOW,
    )


def _reminded(session) -> set[int]:
    return set(
        session.scalars(
            sa.select(Notification.user_id).where(Notification.message == ANNOUNCEMENT_REMINDER.key)
        )
    )


@pytest.fixture
def world(ctx, session):
    return build_world(session)


def test_the_unread_members_in_scope_are_reminded_and_it_is_audited(world, session):
    announcement = _publish(session, world.admin, world.root)
    mark_announcement_read(session, world.general_secretary.id, announcement.id, FIXED_NOW)

    sent = remind_unread(session, world.secretary_a, announcement, FIXED_NOW)

    # Branch A's unread members, the secretary who reminds aside; 乙支部 is outside the scope,
    # and whoever has read it is left alone.
    assert _reminded(session) == {world.member_a.id}
    assert sent == 1
    note = session.scalar(
        sa.select(Notification).where(Notification.message == ANNOUNCEMENT_REMINDER.key)
    )
    assert note.link == f"/announcements/{announcement.id}"
    assert "关于缴纳党费的通知" in render_message(note.message, note.params).title
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "announcement.reminded")
    )
    assert (entry.actor_id, entry.target_id, entry.after) == (
        world.secretary_a.id,
        str(announcement.id),
        {"reminded": 1},
    )


def test_reading_the_announcement_marks_the_reminder_read(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    remind_unread(session, world.secretary_a, announcement, FIXED_NOW)
    mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
    unread = session.scalars(
        sa.select(Notification.message).where(
            Notification.user_id == world.member_a.id, Notification.read_at.is_(None)
        )
    ).all()
    assert unread == []


def test_a_second_reminder_on_the_same_day_is_refused_by_anyone(world, session):
    announcement = _publish(session, world.admin, world.root)
    remind_unread(session, world.secretary_a, announcement, FIXED_NOW)
    late_evening = FIXED_NOW + timedelta(hours=13, minutes=59)
    with pytest.raises(DomainError) as refused:
        remind_unread(session, world.admin, announcement, late_evening)
    assert "10:00" in str(refused.value.message)
    assert _reminded(session) == {world.general_secretary.id, world.member_a.id}
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "announcement.reminded")
        )
        == 1
    )

    assert remind_unread(session, world.admin, announcement, NEXT_DAY) == 4


def test_a_withdrawn_or_ended_announcement_reminds_nobody(world, session):
    ended = _publish(session, world.secretary_a, world.branch_a, expires_at=NEXT_DAY)
    with pytest.raises(DomainError):
        remind_unread(session, world.secretary_a, ended, NEXT_DAY)
    withdrawn = _publish(session, world.secretary_a, world.branch_a)
    withdrawn.withdrawn_at = FIXED_NOW
    with pytest.raises(DomainError):
        remind_unread(session, world.secretary_a, withdrawn, FIXED_NOW)
    assert _reminded(session) == set()
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "announcement.reminded")
        )
        == 0
    )


def test_when_everyone_has_read_it_there_is_nobody_to_remind(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    for user in (world.member_a, world.general_secretary):
        mark_announcement_read(session, user.id, announcement.id, FIXED_NOW)
    with pytest.raises(DomainError) as refused:
        remind_unread(session, world.secretary_a, announcement, FIXED_NOW)
    assert str(refused.value.message) == "所有人均已阅读，无需提醒。"
    assert _reminded(session) == set()


def test_the_receipts_table_lists_readers_then_the_others_within_scope(world, session):
    announcement = _publish(session, world.admin, world.root)
    mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
    header, rows = receipts_table(session, world.secretary_a, announcement, FIXED_NOW)
    assert header == [
        gettext("Name"),
        gettext("Unit"),
        gettext("Read"),
        gettext("Read at"),
        gettext("Status"),
    ]
    # Read at 10:00 in the organisation's time zone (02:00 UTC).
    assert rows[0] == [
        world.member_a.display_name,
        "甲第一党小组",
        gettext("yes"),
        "2026-03-10 10:00",
        "",
    ]
    assert sorted(row[0] for row in rows[1:]) == sorted(
        user.display_name for user in (world.general_secretary, world.secretary_a)
    )
    assert {row[2] for row in rows[1:]} == {gettext("no")}
    assert session.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "announcement.receipts_exported")
    ) == {"rows": len(rows)}


# ---- routes ----


@pytest.fixture
def published(app, session):
    world = build_world(session)
    with app.test_request_context():
        secretary_b = make_user(
            session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
        )
        formula = make_user(session, username="formula", unit=world.branch_a)
        formula.display_name = '=HYPERLINK("http://evil.example","点我")'
        announcement = _publish(session, world.secretary_a, world.branch_a)
    session.commit()
    return world, secretary_b, announcement


def test_only_managers_in_scope_may_remind(published, session, auth):
    world, _secretary_b, announcement = published
    url = f"/announcements/{announcement.id}/remind"
    for username, status in (("mema", 403), ("secb", 404), ("memb", 403)):
        auth.login(username)
        assert auth.post(url).status_code == status, username
        auth.logout()
    reload(session)
    assert _reminded(session) == set()

    auth.login("seca")
    page = auth.client.get(f"/announcements/{announcement.id}/receipts").get_data(as_text=True)
    assert 'data-testid="remind-unread"' in page
    response = auth.post(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/announcements/{announcement.id}/receipts")
    page = auth.client.get(f"/announcements/{announcement.id}/receipts").get_data(as_text=True)
    assert 'data-testid="reminded-today"' in page and 'data-testid="remind-unread"' not in page
    reload(session)
    reminded = _reminded(session)
    assert world.member_a.id in reminded and world.secretary_a.id not in reminded

    again = auth.client.post(url, data={"csrf_token": auth.csrf("/profile")}, follow_redirects=True)
    assert "已提醒过未读人员，请明天再提醒。" in again.get_data(as_text=True)
    reload(session)
    assert session.scalar(
        sa.select(sa.func.count()).where(Notification.message == ANNOUNCEMENT_REMINDER.key)
    ) == len(reminded)


def test_a_reminder_without_the_csrf_token_is_refused(published, session, auth):
    _world, _secretary_b, announcement = published
    auth.login("seca")
    response = auth.client.post(f"/announcements/{announcement.id}/remind", data={})
    assert response.status_code == 400
    reload(session)
    assert _reminded(session) == set()


def test_the_receipts_export_is_formula_safe_scoped_and_audited(published, session, auth):
    world, _secretary_b, announcement = published
    url = f"/announcements/{announcement.id}/receipts.csv"
    for username, status in (("mema", 403), ("secb", 404)):
        auth.login(username)
        assert auth.client.get(url).status_code == status, username
        auth.logout()
    auth.login("seca")
    response = auth.client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 4  # the header; 甲支部's two secretaries, its member and "formula"
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","点我")' in cells
    assert world.member_b.display_name not in cells
    reload(session)
    exported = session.scalars(
        sa.select(AuditEntry.actor_id).where(AuditEntry.action == "announcement.receipts_exported")
    ).all()
    assert exported == [world.secretary_a.id]
