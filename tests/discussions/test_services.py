"""Posting, moderation and announcements through the services."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from learnapp.audit.models import AuditEntry
from learnapp.discussions.models import (
    ModerationDecision,
    ModerationMode,
    Post,
    PostRevision,
    PostState,
    ReasonCode,
    ReportState,
)
from learnapp.discussions.queries import approved_contributions, review_queue
from learnapp.discussions.services.posts import (
    PostingRules,
    RateLimited,
    create_thread,
    delete_post,
    edit_post,
    reply,
)
from learnapp.discussions.services.review import decide_post, report_post
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from tests.discussions.factories import (
    RULES,
    make_branch_board,
    make_platform_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


@pytest.fixture
def world(ctx, session):
    world = build_world(session)
    make_word_lists(session)
    return world


def notes(session, user):
    return list(session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def test_a_clean_post_is_published_and_a_flagged_one_held(world, session):
    board = make_branch_board(session, world.branch_a)
    clean = make_thread(session, world.member_a, board, body="学习党史体会")
    held = make_thread(session, world.member_a, board, body="谁知道赌.博.網.站？")
    assert clean.state == PostState.PUBLISHED
    assert held.state == PostState.HELD
    post = session.scalar(sa.select(Post).where(Post.thread_id == held.id))
    assert post.hold_reasons == ["blocked"] and post.hit_terms == ["赌博网站"]


def test_a_flagged_title_holds_the_thread(world, session):
    board = make_branch_board(session, world.branch_a)
    assert make_thread(session, world.member_a, board, title="关于上访").state == PostState.HELD


def test_new_members_are_held_on_standard_boards_only(world, session):
    newcomer = make_user(session, unit=world.branch_a, created_at=FIXED_NOW - timedelta(days=1))
    rules = PostingRules(new_member_days=7, duplicate_window_seconds=0)
    standard = make_branch_board(session, world.branch_a, ModerationMode.STANDARD)
    thread = create_thread(
        session, newcomer, standard, title="新人报到", body="大家好", now=FIXED_NOW, rules=rules
    )
    assert thread.state == PostState.HELD
    standard.moderation_mode = ModerationMode.FLAGGED_ONLY
    thread = create_thread(
        session, newcomer, standard, title="新人报到", body="大家好", now=FIXED_NOW, rules=rules
    )
    assert thread.state == PostState.PUBLISHED
    standard.moderation_mode = ModerationMode.HOLD_ALL
    assert make_thread(session, world.member_a, standard).state == PostState.HELD
    # The board's moderators are not held by the board's own rule.
    assert make_thread(session, world.secretary_a, standard).state == PostState.PUBLISHED


def test_spam_wrapping_scraped_pages_is_held(world, session):
    board = make_platform_board(session)
    body = "好物推荐 " + " ".join(f"https://shop{i}.example/item" for i in range(8))
    thread = make_thread(session, world.member_b, board, body=body)
    assert thread.state == PostState.HELD


def test_flooding_is_rate_limited_per_minute_and_per_day(world, session):
    board = make_platform_board(session)
    rules = PostingRules(
        new_member_days=0, posts_per_minute=5, posts_per_day=7, duplicate_window_seconds=0
    )
    thread = make_thread(session, world.member_b, board)
    for _ in range(4):
        reply(
            session,
            world.member_b,
            thread,
            body="顶",
            quoted_post_id=None,
            now=FIXED_NOW,
            rules=rules,
        )
    with pytest.raises(RateLimited):
        reply(
            session,
            world.member_b,
            thread,
            body="顶",
            quoted_post_id=None,
            now=FIXED_NOW,
            rules=rules,
        )
    later = FIXED_NOW + timedelta(minutes=2)
    reply(session, world.member_b, thread, body="顶", quoted_post_id=None, now=later, rules=rules)
    reply(session, world.member_b, thread, body="顶", quoted_post_id=None, now=later, rules=rules)
    with pytest.raises(RateLimited):
        reply(
            session,
            world.member_b,
            thread,
            body="顶",
            quoted_post_id=None,
            now=later + timedelta(minutes=5),
            rules=rules,
        )


def test_posting_outside_the_audience_is_refused(world, session):
    board = make_branch_board(session, world.branch_a)
    with pytest.raises(DomainError):
        make_thread(session, world.member_b, board)


def test_editing_keeps_the_history_and_respects_the_window(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, title="初稿", body="第一版")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    edit_post(
        session, world.member_a, post, body="第二版", title="定稿", now=FIXED_NOW, rules=RULES
    )
    revision = session.scalar(sa.select(PostRevision).where(PostRevision.post_id == post.id))
    assert (revision.title, revision.body_source) == ("初稿", "第一版")
    assert (thread.title, post.body_source) == ("定稿", "第二版")
    with pytest.raises(DomainError):
        edit_post(
            session, world.secretary_a, post, body="改你的", title="x", now=FIXED_NOW, rules=RULES
        )
    with pytest.raises(DomainError):
        edit_post(
            session,
            world.member_a,
            post,
            body="太晚了",
            title="x",
            now=FIXED_NOW + timedelta(minutes=16),
            rules=RULES,
        )


def test_an_edit_that_adds_a_flagged_term_goes_back_to_review(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    edit_post(
        session, world.member_a, post, body="去上访", title="体会", now=FIXED_NOW, rules=RULES
    )
    assert post.state == PostState.HELD and thread.state == PostState.HELD


def test_deleting_keeps_the_text_for_the_record(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    answer = make_reply(session, world.secretary_a, thread, body="保留原文")
    with pytest.raises(DomainError):
        delete_post(session, world.member_a, answer, FIXED_NOW)
    delete_post(session, world.secretary_a, answer, FIXED_NOW)
    assert answer.state == PostState.DELETED and answer.body_source == "保留原文"


def test_mentions_and_subscribers_are_notified_within_the_audience(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    make_reply(
        session,
        world.secretary_a,
        thread,
        body=f"@{world.general_secretary.display_name}同志 和 @{world.member_b.username} 请看",
    )
    assert [n.kind for n in notes(session, world.general_secretary)] == ["mention"]
    # member_b is in another branch: not in this board's audience, so not told.
    assert notes(session, world.member_b) == []
    # The thread's author is subscribed and hears of the reply.
    assert [n.kind for n in notes(session, world.member_a)] == ["reply"]


def test_a_quote_must_be_a_published_post_of_the_same_thread(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    other = make_thread(session, world.member_a, board)
    first = make_reply(session, world.secretary_a, thread)
    assert make_reply(session, world.member_a, thread, quoted=first.id).quoted_post_id == first.id
    foreign = make_reply(session, world.secretary_a, other)
    with pytest.raises(DomainError):
        make_reply(session, world.member_a, thread, quoted=foreign.id)


def test_locked_threads_take_replies_from_moderators_only(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    thread.is_locked = True
    with pytest.raises(DomainError):
        make_reply(session, world.member_a, thread)
    assert make_reply(session, world.secretary_a, thread).state == PostState.PUBLISHED


def test_approving_a_held_post_publishes_it_audits_and_tells_the_author(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, body="如何维权？")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    assert [item.post.id for item in review_queue(session, world.secretary_a)] == [post.id]
    assert review_queue(session, world.member_b) == []
    with pytest.raises(DomainError):  # another branch's secretary does not moderate this board
        decide_post(
            session,
            world.member_b,
            post,
            approve=True,
            reason=ReasonCode.FINE,
            note="",
            now=FIXED_NOW,
        )
    with pytest.raises(DomainError):  # a removal reason does not fit an approval
        decide_post(
            session,
            world.secretary_a,
            post,
            approve=True,
            reason=ReasonCode.SPAM,
            note="",
            now=FIXED_NOW,
        )
    decide_post(
        session,
        world.secretary_a,
        post,
        approve=True,
        reason=ReasonCode.FALSE_POSITIVE,
        note="正常咨询",
        now=FIXED_NOW,
    )
    assert post.state == PostState.PUBLISHED and thread.state == PostState.PUBLISHED
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post.approved"))
    assert entry.actor_id == world.secretary_a.id and entry.after["reason"] == "false_positive"
    assert entry.before["terms"] == ["维权"]
    assert session.scalar(sa.select(sa.func.count()).select_from(ModerationDecision)) == 1
    assert "post_approved" in [n.kind for n in notes(session, world.member_a)]
    with pytest.raises(DomainError):  # decided already
        decide_post(
            session,
            world.secretary_a,
            post,
            approve=True,
            reason=ReasonCode.FINE,
            note="",
            now=FIXED_NOW,
        )


def test_reports_join_the_queue_and_the_reporter_hears_back(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = make_reply(session, world.general_secretary, thread, body="广告：加微信")
    report = report_post(
        session, world.member_a, post, reason=ReasonCode.ADVERTISING, note="广告", now=FIXED_NOW
    )
    with pytest.raises(DomainError):
        report_post(session, world.member_a, post, reason=ReasonCode.SPAM, note="", now=FIXED_NOW)
    (item,) = review_queue(session, world.secretary_a)
    assert item.post.id == post.id and item.open_reports == 1
    decide_post(
        session,
        world.secretary_a,
        post,
        approve=False,
        reason=ReasonCode.ADVERTISING,
        note="",
        now=FIXED_NOW,
    )
    assert post.state == PostState.REJECTED and post.body_source == "广告：加微信"
    assert report.state == ReportState.UPHELD
    assert "report_decided" in [n.kind for n in notes(session, world.member_a)]
    assert "post_rejected" in [n.kind for n in notes(session, world.general_secretary)]
    assert (
        session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post.rejected"))
        is not None
    )


def test_approved_contributions_count_published_posts_in_the_period(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    make_reply(session, world.member_a, thread)
    make_reply(session, world.member_a, thread, body="我要维权")  # held: not counted
    gone = make_reply(session, world.member_a, thread)
    delete_post(session, world.member_a, gone, FIXED_NOW)
    make_reply(session, world.member_a, thread, now=FIXED_NOW + timedelta(days=40))
    counts = approved_contributions(
        session,
        [world.member_a.id, world.member_b.id],
        FIXED_NOW - timedelta(days=1),
        FIXED_NOW + timedelta(days=30),
    )
    assert counts == {world.member_a.id: 2, world.member_b.id: 0}


def test_moderators_never_decide_about_their_own_posts(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board, title="通知", body="关于维权的政策说明")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    assert post.state == PostState.HELD
    # Not in the author's own queue; in the queue of the secretary above.
    assert review_queue(session, world.secretary_a) == []
    assert [item.post.id for item in review_queue(session, world.general_secretary)] == [post.id]
    own_post = gettext("Another moderator decides about your own posts.")
    with pytest.raises(DomainError, match=re.escape(own_post)):
        decide_post(
            session,
            world.secretary_a,
            post,
            approve=True,
            reason=ReasonCode.FINE,
            note="",
            now=FIXED_NOW,
        )
    assert post.state == PostState.HELD
    assert session.scalar(sa.select(sa.func.count()).select_from(ModerationDecision)) == 0
    decide_post(
        session,
        world.general_secretary,
        post,
        approve=True,
        reason=ReasonCode.FINE,
        note="",
        now=FIXED_NOW,
    )
    assert post.state == PostState.PUBLISHED


def test_members_cannot_report_their_own_posts(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    with pytest.raises(DomainError):
        report_post(session, world.member_a, post, reason=ReasonCode.SPAM, note="", now=FIXED_NOW)
    assert review_queue(session, world.secretary_a) == []


def test_plain_text_helpers_drop_control_characters():
    from learnapp.discussions.services.text import one_line, render_body, strip_controls

    assert strip_controls("a\x00b\tc\nd\r\n\x7f") == "ab\tc\nd\r\n"
    assert one_line(" 备\x00注 \n 说明 ", 4) == "备注 说"
    assert render_body("正\x00文", 100) == ("正文", "<p>正文</p>")
    with pytest.raises(DomainError):
        render_body("\x00\x01", 100)
