"""Who an announcement's read receipts count: readers stay, whatever happened to them since; the
unread are the members in its audience now, newcomers only while it is still shown. The
receipts page, its CSV and the author's list of announcements count alike."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.accounts.services.users import set_active
from learnapp.discussions.notices import ANNOUNCEMENT_REMINDER
from learnapp.discussions.queries import ReceiptNote, announcements_by, read_counts, receipts
from learnapp.discussions.services.announcements import (
    mark_announcement_read,
    publish_announcement,
    receipts_table,
    remind_unread,
    withdraw_announcement,
)
from learnapp.notifications.models import Notification
from learnapp.orgs.models import Role
from learnapp.orgs.services import move_member
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

LATER = FIXED_NOW + timedelta(hours=2)
ENDS = FIXED_NOW + timedelta(days=3)
AFTER_END = ENDS + timedelta(days=1)


def _publish(session, author, unit, *, expires_at=None):
    return publish_announcement(
        session,
        author,
        unit,
        title="关于开展主题党日活动的通知",
        body="请各位党员准时参加。",
        expires_at=expires_at,
        now=FIXED_NOW,
    )


def _reminded(session) -> set[int]:
    return set(
        session.scalars(
            sa.select(Notification.user_id).where(Notification.message == ANNOUNCEMENT_REMINDER.key)
        )
    )


def _names(rows) -> dict[str, ReceiptNote | None]:
    return {receipt.user.username: receipt.note for receipt in rows}


@pytest.fixture
def world(ctx, session):
    return build_world(session)


def test_a_reader_disabled_since_stays_a_reader_on_the_page_the_list_and_the_csv(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
    set_active(session, world.admin, world.member_a, False, LATER)

    found = receipts(session, world.secretary_a, announcement, LATER)
    assert _names(found.read) == {"mema": ReceiptNote.DISABLED}
    assert found.read[0].unit == world.group_a and found.read[0].read_at == FIXED_NOW
    assert set(_names(found.unread)) == {"gsec", "seca"}
    assert found.total == 3
    assert announcements_by(session, world.secretary_a) == [(announcement, 1)]

    _header, rows = receipts_table(session, world.secretary_a, announcement, LATER)
    assert rows[0] == [
        world.member_a.display_name,
        "甲第一党小组",
        "是",
        "2026-03-10 10:00",
        "已停用",
    ]
    assert len(rows) == found.total


def test_a_reader_who_moved_out_stays_in_the_unit_they_read_it_in(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
    move_member(session, world.admin, world.member_a, world.branch_b, reason="工作调动", now=LATER)
    secretary_b = make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )

    found = receipts(session, world.secretary_a, announcement, LATER)
    assert _names(found.read) == {"mema": ReceiptNote.MOVED_OUT}
    assert found.read[0].unit == world.group_a
    assert read_counts(session, world.secretary_a, [announcement.id]) == {announcement.id: 1}
    # Branch B's secretary sees none of branch A's receipts, the newcomer's included.
    assert receipts(session, secretary_b, announcement, LATER).total == 0
    assert read_counts(session, secretary_b, [announcement.id]) == {announcement.id: 0}


def test_a_move_inside_the_audience_leaves_no_note(world, session):
    announcement = _publish(session, world.admin, world.general)
    mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
    move_member(session, world.admin, world.member_a, world.branch_b, reason="工作调动", now=LATER)
    found = receipts(session, world.admin, announcement, LATER)
    assert _names(found.read) == {"mema": None}
    assert found.read[0].unit == world.group_a


def test_a_member_who_left_without_reading_it_is_no_longer_counted(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    set_active(session, world.admin, world.member_a, False, LATER)
    found = receipts(session, world.secretary_a, announcement, LATER)
    assert set(_names(found.unread)) == {"gsec", "seca"}
    assert found.total == 2
    remind_unread(session, world.secretary_a, announcement, LATER)
    assert world.member_a.id not in _reminded(session)


def test_newcomers_count_as_unread_only_while_it_is_shown(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a, expires_at=ENDS)
    newcomer = make_user(session, username="newbie", unit=world.group_a, created_at=LATER)
    reader = make_user(session, username="newreader", unit=world.branch_a, created_at=LATER)
    mark_announcement_read(session, reader.id, announcement.id, LATER)

    shown = receipts(session, world.secretary_a, announcement, LATER)
    assert _names(shown.unread) == {
        "gsec": None,
        "seca": None,
        "mema": None,
        "newbie": ReceiptNote.JOINED_LATER,
    }
    assert _names(shown.read) == {"newreader": None}
    assert shown.total == 5
    remind_unread(session, world.secretary_a, announcement, LATER)
    assert newcomer.id in _reminded(session)

    # Once it has ended, the members of its audience at publication are still expected to
    # have read it; the newcomer no longer is, and whoever read it stays a reader.
    ended = receipts(session, world.secretary_a, announcement, AFTER_END)
    assert set(_names(ended.unread)) == {"gsec", "seca", "mema"}
    assert _names(ended.read) == {"newreader": None}
    assert ended.total == 4


def test_newcomers_are_not_counted_once_it_is_withdrawn(world, session):
    announcement = _publish(session, world.secretary_a, world.branch_a)
    make_user(session, username="newbie", unit=world.group_a, created_at=LATER)
    assert "newbie" in _names(receipts(session, world.secretary_a, announcement, LATER).unread)
    withdraw_announcement(session, world.secretary_a, announcement, LATER)
    found = receipts(session, world.secretary_a, announcement, LATER)
    assert set(_names(found.unread)) == {"gsec", "seca", "mema"}


# ---- routes ----


def test_the_page_the_csv_and_my_announcements_agree_after_a_reader_is_disabled(
    app, session, auth, clock
):
    with app.test_request_context():
        world = build_world(session)
        announcement = _publish(session, world.secretary_a, world.branch_a)
        mark_announcement_read(session, world.member_a.id, announcement.id, FIXED_NOW)
        set_active(session, world.admin, world.member_a, False, FIXED_NOW)
        make_user(session, username="newbie", unit=world.branch_a)
    session.commit()

    auth.login("seca")
    page = auth.client.get(f"/announcements/{announcement.id}/receipts").get_data(as_text=True)
    assert 'data-testid="read-count">1<' in page
    assert 'data-testid="unread-count">3<' in page  # gsec, seca and the newcomer
    assert 'data-testid="recipient-count">4<' in page
    assert "已停用" in page and "发布后加入" in page
    assert 'data-testid="receipts-rule"' in page
    mine = auth.client.get("/announcements").get_data(as_text=True)
    assert "1 人已读" in mine
    text = auth.client.get(f"/announcements/{announcement.id}/receipts.csv").get_data()
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["是", "否", "否", "否"]
    assert rows[1][4] == "已停用"
