"""Notifications: sending, the unread badge, opening and marking read."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from learnapp.demo import seed_demo
from learnapp.discussions.notices import ANNOUNCEMENT
from learnapp.discussions.services.announcements import publish_announcement
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import (
    Audience,
    kinds_for,
    mutable_kinds,
    mute_kind,
    muted_kinds,
    set_muted,
)
from learnapp.notifications.queries import unread_count
from learnapp.notifications.services import mark_read, notify
from learnapp.orglife.claims import CLAIM_DECIDED
from learnapp.orglife.models import StudyClaim
from learnapp.orgs.models import Role
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


def badge(html: str) -> str | None:
    match = re.search(r'data-testid="unread-badge">([^<]+)<', html)
    return match.group(1) if match else None


def send(session, user_ids, title: str, link: str = "/", now=FIXED_NOW) -> int:
    """An announcement notification: the simplest message with a title a person typed."""
    params = {"title": title, "announcement": 1}
    return notify(session, user_ids, ANNOUNCEMENT, link, now, params)


def test_notify_sends_one_per_person_and_keeps_only_local_links(ctx, session):
    alice, bob = make_user(session), make_user(session)
    sent = send(session, [alice.id, alice.id, bob.id], "标题\u202e", "/threads/1")
    assert sent == 2
    send(session, [alice.id], "外链", "https://evil.example/")
    send(session, [alice.id], "外链", "//evil.example/")
    rows = session.scalars(sa.select(Notification).where(Notification.user_id == alice.id)).all()
    assert [(n.params["title"], n.link) for n in rows] == [
        ("标题", "/threads/1"),
        ("外链", ""),
        ("外链", ""),
    ]
    assert send(session, [], "nobody") == 0


def test_mark_read_touches_only_the_users_own(ctx, session):
    alice, bob = make_user(session), make_user(session)
    send(session, [alice.id, bob.id], "一")
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
    send(session, [alice.id], "第一条", "/notifications")
    send(session, [alice.id], "第二条", "/profile")
    send(session, [bob.id], "别人的")
    session.commit()
    auth.login("alice")
    assert badge(auth.client.get("/").get_data(as_text=True)) == "2"
    page = auth.client.get("/notifications").get_data(as_text=True)
    assert "第一条" in page and "别人的" not in page
    mine = session.scalar(sa.select(Notification.id).where(Notification.link == "/profile"))
    others = session.scalar(sa.select(Notification.id).where(Notification.user_id == bob.id))
    assert auth.post(f"/notifications/{others}/open").status_code == 404
    opened = auth.post(f"/notifications/{mine}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "/profile"
    assert badge(auth.client.get("/").get_data(as_text=True)) == "1"
    assert auth.post("/notifications/read-all").status_code == 302
    assert badge(auth.client.get("/").get_data(as_text=True)) is None


def test_opening_without_csrf_is_refused(session, auth, client):
    alice = make_user(session, username="alice")
    send(session, [alice.id], "一")
    session.commit()
    auth.login("alice")
    note = session.scalar(sa.select(Notification.id))
    assert client.post(f"/notifications/{note}/open").status_code == 400
    assert client.get(f"/notifications/{note}/open").status_code == 405


def test_the_list_is_newest_first_by_when_each_was_sent_not_by_insertion(session, auth):
    alice = make_user(session, username="alice")
    send(session, [alice.id], "新的一条")
    # Written later (a seeded history, a job catching up) but sent a month earlier.
    send(session, [alice.id], "旧的一条", now=FIXED_NOW - timedelta(days=30))
    session.commit()
    auth.login("alice")
    page = auth.client.get("/notifications").get_data(as_text=True)
    assert page.index("新的一条") < page.index("旧的一条")


def test_reading_an_announcement_marks_its_notification_read(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        announcement = publish_announcement(
            session,
            world.secretary_a,
            world.branch_a,
            title="关于开展集体学习的通知",
            body="请按时参加。",
            expires_at=None,
            now=FIXED_NOW,
        )
        send(session, [world.member_a.id], "别的通知", "/announcements")
    session.commit()
    auth.login("mema")
    assert badge(auth.client.get("/").get_data(as_text=True)) == "2"
    assert auth.client.get(f"/announcements/{announcement.id}").status_code == 200
    # Only the announcement's own notification: the other one is still news.
    assert badge(auth.client.get("/").get_data(as_text=True)) == "1"
    reload(session)
    read = session.scalars(
        sa.select(Notification.params).where(
            Notification.user_id == world.member_a.id, Notification.read_at.is_not(None)
        )
    ).all()
    assert read == [{"title": "关于开展集体学习的通知", "announcement": announcement.id}]


def test_the_unread_count_shows_outside_the_collapsed_phone_menu(session, auth):
    alice = make_user(session, username="alice")
    for number in range(3):
        send(session, [alice.id], f"第{number}条")
    session.commit()
    auth.login("alice")
    page = auth.client.get("/").get_data(as_text=True)
    bell = page.index('data-testid="notifications-bell"')
    assert bell < page.index('id="main-nav"')  # not inside the collapse
    assert re.search(r'data-testid="unread-badge-compact">3<', page)
    auth.post("/notifications/read-all")
    assert "unread-badge-compact" not in auth.client.get("/").get_data(as_text=True)


def test_settings_offer_only_the_kinds_that_can_reach_the_member(session, auth):
    world = build_world(session)
    auth.login("memb")
    page = auth.client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="mention"' in page
    assert 'value="complaint"' not in page  # administrators' queue
    auth.logout()
    auth.login("admin")
    assert 'value="complaint"' in auth.client.get("/notifications/settings").get_data(as_text=True)
    # Mandatory kinds are listed only to those they can reach: questions go back to editors.
    editor = make_user(session, roles=((Role.BANK_EDITOR, world.root),))
    assert "question_rejected" not in {kind.key for kind in kinds_for(world.member_b)}
    assert "question_rejected" in {kind.key for kind in kinds_for(editor)}
    assert "question_rejected" in {kind.key for kind in kinds_for(world.admin)}


def test_saving_settings_leaves_mutes_of_kinds_meant_for_others_alone(ctx, session):
    member = make_user(session)
    mute_kind(session, member, "complaint", True, FIXED_NOW)  # e.g. from a former admin role
    set_muted(session, member, [], FIXED_NOW)
    assert "complaint" in muted_kinds(session, member.id)
    with pytest.raises(DomainError):
        set_muted(session, member, ["complaint"], FIXED_NOW)
    assert [kind.key for kind in mutable_kinds(member)] == [
        kind.key for kind in mutable_kinds() if kind.audience == Audience.EVERYONE
    ]


def test_the_demo_dates_each_claim_decision_when_it_was_made(ctx, session):
    now = datetime(2026, 12, 6, 5, 45, tzinfo=UTC)
    seed_demo(session, now)
    decided = session.execute(
        sa.select(Notification.created_at, Notification.link).where(
            Notification.kind == CLAIM_DECIDED
        )
    ).all()
    assert decided
    claims = {
        f"/orglife/claims/{claim.id}": claim for claim in session.scalars(sa.select(StudyClaim))
    }
    for created_at, link in decided:
        claim = claims[link]
        assert created_at == claim.decided_at
        # Decided within weeks of the study, not on the day the demo was seeded.
        assert timedelta(0) <= created_at.date() - claim.studied_on <= timedelta(days=31)
