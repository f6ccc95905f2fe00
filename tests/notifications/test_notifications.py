"""Notifications: sending, the unread badge, opening and marking read."""

import re

import sqlalchemy as sa

from learnapp.notifications.models import Notification
from learnapp.notifications.queries import unread_count
from learnapp.notifications.services import mark_read, notify
from tests.factories import FIXED_NOW, make_user


def badge(html: str) -> str | None:
    match = re.search(r'data-testid="unread-badge">([^<]+)<', html)
    return match.group(1) if match else None


def test_notify_sends_one_per_person_and_keeps_only_local_links(ctx, session):
    alice, bob = make_user(session), make_user(session)
    sent = notify(
        session, [alice.id, alice.id, bob.id], "test", "标题\u202e", "/threads/1", FIXED_NOW
    )
    assert sent == 2
    notify(session, [alice.id], "test", "外链", "https://evil.example/", FIXED_NOW)
    notify(session, [alice.id], "test", "外链", "//evil.example/", FIXED_NOW)
    rows = session.scalars(sa.select(Notification).where(Notification.user_id == alice.id)).all()
    assert [(n.title, n.link) for n in rows] == [("标题", "/threads/1"), ("外链", ""), ("外链", "")]
    assert notify(session, [], "test", "nobody", "/", FIXED_NOW) == 0


def test_mark_read_touches_only_the_users_own(ctx, session):
    alice, bob = make_user(session), make_user(session)
    notify(session, [alice.id, bob.id], "test", "一", "/", FIXED_NOW)
    bobs = session.scalar(sa.select(Notification.id).where(Notification.user_id == bob.id))
    assert mark_read(session, alice, [bobs], FIXED_NOW) == 0
    assert mark_read(session, alice, None, FIXED_NOW) == 1
    assert unread_count(session, alice.id) == 0
    assert unread_count(session, bob.id) == 1


def test_the_unread_count_is_one_index_range(ctx, session):
    if session.get_bind().dialect.name != "sqlite":
        return
    user = make_user(session)
    plan = session.execute(
        sa.text(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM notifications "
            "WHERE user_id = :u AND read_at IS NULL"
        ),
        {"u": user.id},
    ).all()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "COVERING INDEX ix_notifications_user_unread" in detail


def test_the_navbar_badge_counts_unread_and_opening_marks_read(session, auth):
    alice = make_user(session, username="alice")
    bob = make_user(session, username="bob")
    notify(session, [alice.id], "test", "第一条", "/notifications", FIXED_NOW)
    notify(session, [alice.id], "test", "第二条", "/profile", FIXED_NOW)
    notify(session, [bob.id], "test", "别人的", "/", FIXED_NOW)
    session.commit()
    auth.login("alice")
    assert badge(auth.client.get("/").get_data(as_text=True)) == "2"
    page = auth.client.get("/notifications").get_data(as_text=True)
    assert "第一条" in page and "别人的" not in page
    mine = session.scalar(sa.select(Notification.id).where(Notification.title == "第二条"))
    others = session.scalar(sa.select(Notification.id).where(Notification.user_id == bob.id))
    assert auth.post(f"/notifications/{others}/open").status_code == 404
    opened = auth.post(f"/notifications/{mine}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "/profile"
    assert badge(auth.client.get("/").get_data(as_text=True)) == "1"
    assert auth.post("/notifications/read-all").status_code == 302
    assert badge(auth.client.get("/").get_data(as_text=True)) is None


def test_opening_without_csrf_is_refused(session, auth, client):
    alice = make_user(session, username="alice")
    notify(session, [alice.id], "test", "一", "/", FIXED_NOW)
    session.commit()
    auth.login("alice")
    note = session.scalar(sa.select(Notification.id))
    assert client.post(f"/notifications/{note}/open").status_code == 400
    assert client.get(f"/notifications/{note}/open").status_code == 405
