"""A withdrawn announcement is labelled withdrawn (已撤回), not ended (已过期), and leaves nothing
to read in anyone's bell."""

from datetime import timedelta

import sqlalchemy as sa

from learnapp.discussions.services.announcements import (
    mark_announcement_read,
    publish_announcement,
    remind_unread,
    withdraw_announcement,
)
from learnapp.notifications.models import Notification
from learnapp.notifications.queries import unread_count
from tests.factories import FIXED_NOW
from tests.world import build_world

LATER = FIXED_NOW + timedelta(hours=2)


def _publish(session, author, unit, title, *, expires_at=None):
    return publish_announcement(
        session, author, unit, title=title, body="内容。", expires_at=expires_at, now=FIXED_NOW
    )


def test_withdrawing_marks_its_unread_notifications_read_and_keeps_them(ctx, session):
    world = build_world(session)
    other = _publish(session, world.admin, world.root, "其他通知")
    withdrawn = _publish(session, world.secretary_a, world.branch_a, "将撤回的通知")
    remind_unread(session, world.secretary_a, withdrawn, FIXED_NOW)
    mark_announcement_read(session, world.general_secretary.id, withdrawn.id, FIXED_NOW)
    assert unread_count(session, world.member_a.id) == 3

    withdraw_announcement(session, world.secretary_a, withdrawn, LATER)

    # The announcement and the reminder of it are read; the other announcement still waits.
    assert unread_count(session, world.member_a.id) == 1
    links = session.execute(
        sa.select(Notification.link, Notification.read_at).where(
            Notification.user_id == world.member_a.id
        )
    ).all()
    assert sorted(links) == sorted(
        [
            (f"/announcements/{other.id}", None),
            (f"/announcements/{withdrawn.id}", LATER),
            (f"/announcements/{withdrawn.id}", LATER),
        ]
    )
    # Read before it was withdrawn: read when it was read.
    assert (
        session.scalar(
            sa.select(Notification.read_at).where(
                Notification.user_id == world.general_secretary.id,
                Notification.link == f"/announcements/{withdrawn.id}",
            )
        )
        == FIXED_NOW
    )


def test_the_list_says_withdrawn_or_ended_to_members_and_to_the_secretary(
    app, session, auth, clock
):
    with app.test_request_context():
        world = build_world(session)
        withdrawn = _publish(session, world.secretary_a, world.branch_a, "已撤回的通知")
        _publish(
            session,
            world.secretary_a,
            world.branch_a,
            "已结束的通知",
            expires_at=FIXED_NOW + timedelta(days=1),
        )
        withdraw_announcement(session, world.secretary_a, withdrawn, FIXED_NOW)
    session.commit()
    clock.advance(days=2)

    for username in ("mema", "seca"):
        auth.login(username)
        page = auth.client.get("/announcements").get_data(as_text=True)
        listed = page.split('data-testid="announcement-list"')[1]
        listed = listed.split('data-testid="my-announcements"')[0]
        rows = listed.split("list-group-item-action")[1:]
        states = {
            title: row.split('data-testid="announcement-state">')[1].split("<")[0]
            for row in rows
            for title in ("已撤回的通知", "已结束的通知")
            if title in row
        }
        assert states == {"已撤回的通知": "已撤回", "已结束的通知": "已过期"}, username
        withdrawn_row = next(row for row in rows if "已撤回的通知" in row)
        assert "text-bg-danger" not in withdrawn_row  # no "new" badge on it
        auth.logout()

    auth.login("mema")
    bell = auth.client.get("/announcements").get_data(as_text=True)
    assert 'data-testid="unread-badge-compact">1<' in bell  # the ended one, never opened
