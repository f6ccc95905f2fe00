"""The discussion package's notifications are stored as message keys with their parameters and
read in the reader's language: mentions, new threads and replies, moderation, reports,
announcements and complaints."""

import pytest
import sqlalchemy as sa

from learnapp.discussions.models import Post, ReasonCode
from learnapp.discussions.services.announcements import publish_announcement
from learnapp.discussions.services.engagement import set_board_subscription
from learnapp.discussions.services.feedback import add_message, submit_complaint
from learnapp.discussions.services.review import decide_post, report_post
from learnapp.notifications.models import Notification
from tests.discussions.factories import (
    make_branch_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW
from tests.notifications.helpers import notices_of, rendered
from tests.world import build_world


@pytest.fixture
def world(ctx, session):
    world = build_world(session)
    make_word_lists(session)
    return world


def _only(session, user, message: str) -> Notification:
    (notice,) = [n for n in notices_of(session, user) if n.message == message]
    return notice


def _decide(session, moderator, post, approve: bool, reason: ReasonCode, note: str = ""):
    decide_post(session, moderator, post, approve=approve, reason=reason, note=note, now=FIXED_NOW)


def test_mentions_new_threads_and_replies(world, session):
    board = make_branch_board(session, world.branch_a)
    set_board_subscription(session, world.secretary_a, board, True, FIXED_NOW)
    thread = make_thread(session, world.member_a, board, title="学习体会", body="认真学习。")
    opening = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    new_thread = _only(session, world.secretary_a, "new_thread")
    assert new_thread.kind == "new_thread"
    assert new_thread.params == {
        "board": board.name,
        "title": "学习体会",
        "thread": thread.id,
        "post": opening.id,
        "excerpt": "认真学习。",
    }
    assert rendered(new_thread, "zh_Hans").title == f"{board.name}有新主题：学习体会"
    assert rendered(new_thread, "en").title == f"New thread in {board.name}: 学习体会"
    assert rendered(new_thread, "en").body == "认真学习。"

    post = make_reply(
        session, world.secretary_a, thread, body=f"@{world.general_secretary.username} 请看"
    )
    mention = _only(session, world.general_secretary, "mention")
    assert mention.kind == "mention" and mention.params["post"] == post.id
    name = world.secretary_a.display_name
    assert rendered(mention, "zh_Hans").title == f"{name} 在“学习体会”中提到了您"
    assert rendered(mention, "en").title == f"{name} mentioned you in “学习体会”"
    reply = _only(session, world.member_a, "reply")
    assert reply.kind == "reply" and "name" not in reply.params
    assert rendered(reply, "zh_Hans").title == "“学习体会”有新回复"
    assert rendered(reply, "en").title == "New reply in “学习体会”"


def test_moderation_decisions_and_reports(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, title="求助", body="如何维权？")
    held = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    _decide(session, world.secretary_a, held, True, ReasonCode.FALSE_POSITIVE)
    published = _only(session, world.member_a, "post_published")
    assert published.kind == "post_approved"
    assert published.params == {"title": "求助", "thread": thread.id, "post": held.id}
    assert rendered(published, "zh_Hans").title == "您在“求助”中的帖子已发布"
    assert rendered(published, "en").title == "Your post in “求助” has been published"

    stays = make_reply(session, world.general_secretary, thread, body="可以咨询工会")
    gone = make_reply(session, world.general_secretary, thread, body="广告：加微信")
    for post in (stays, gone):
        report_post(
            session, world.member_a, post, reason=ReasonCode.ADVERTISING, note="", now=FIXED_NOW
        )
    _decide(session, world.secretary_a, stays, True, ReasonCode.FINE)
    _decide(session, world.secretary_a, gone, False, ReasonCode.ADVERTISING, "广告")
    kept = _only(session, world.member_a, "report_post_stays")
    removed = _only(session, world.member_a, "report_post_removed")
    assert kept.kind == removed.kind == "report_decided"
    assert (kept.params, removed.params) == ({"post": stays.id}, {"post": gone.id})
    assert rendered(kept, "zh_Hans").title == "您的举报已处理：该帖予以保留"
    assert rendered(removed, "en").title == "Your report has been handled: the post was removed"
    # It had been published: its author hears it was taken down, and why.
    taken_down = _only(session, world.general_secretary, "post_removed")
    assert taken_down.kind == "post_rejected"
    assert taken_down.params == {
        "title": "求助",
        "thread": thread.id,
        "post": gone.id,
        "reason": "advertising",
        "note": "广告",
    }
    assert rendered(taken_down, "zh_Hans") == (
        "您在“求助”中的帖子已被管理人员删除",
        "理由：广告 · 广告",
    )
    assert rendered(taken_down, "en") == (
        "Your post in “求助” was removed by a moderator",
        "Reason: Advertising · 广告",
    )


def test_a_held_post_turned_down_was_not_published(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, title="求助", body="如何维权？")
    held = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    _decide(session, world.secretary_a, held, False, ReasonCode.OFF_TOPIC, "请发到别处")
    refused = _only(session, world.member_a, "post_refused")
    assert refused.kind == "post_rejected"
    assert (refused.params["reason"], refused.params["note"]) == ("off_topic", "请发到别处")
    assert rendered(refused, "zh_Hans") == (
        "您在“求助”中的帖子未予发布",
        "理由：与主题无关 · 请发到别处",
    )
    assert rendered(refused, "en") == (
        "Your post in “求助” was not published",
        "Reason: Off topic · 请发到别处",
    )
    assert not [n for n in notices_of(session, world.member_a) if n.message == "post_removed"]


def test_announcements_and_complaints(world, session):
    announcement = publish_announcement(
        session,
        world.secretary_a,
        world.branch_a,
        title="关于集体学习的通知",
        body="周五开会",
        expires_at=None,
        now=FIXED_NOW,
    )
    notice = _only(session, world.member_a, "announcement")
    assert notice.kind == "announcement"
    assert notice.params == {"title": "关于集体学习的通知", "announcement": announcement.id}
    assert rendered(notice, "zh_Hans").title == "通知公告：关于集体学习的通知"
    assert rendered(notice, "en").title == "Announcement: 关于集体学习的通知"

    complaint = submit_complaint(
        session, world.member_a, subject="增加音频", body="希望增加音频课程", now=FIXED_NOW
    )
    new = _only(session, world.admin, "complaint_new")
    assert new.kind == "complaint"
    assert new.params == {"subject": "增加音频", "complaint": complaint.id}
    assert rendered(new, "zh_Hans").title == "新的投诉建议：增加音频"
    assert rendered(new, "en").title == "New complaint or suggestion: 增加音频"
    add_message(session, world.admin, complaint, body="已收到", now=FIXED_NOW)
    answer = _only(session, world.member_a, "complaint_reply")
    assert answer.kind == "complaint_reply"
    assert rendered(answer, "zh_Hans").title == "您的留言“增加音频”有了回复"
    assert rendered(answer, "en").title == "Reply to your message “增加音频”"
    add_message(session, world.member_a, complaint, body="谢谢", now=FIXED_NOW)
    more = _only(session, world.admin, "complaint_message")
    assert more.kind == "complaint"
    assert rendered(more, "zh_Hans").title == "留言“增加音频”有新消息"
    assert rendered(more, "en").title == "New message on “增加音频”"
