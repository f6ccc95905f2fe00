"""What a notification quotes from a post is the post as it is now: an edit shows, a deleted or
removed post's text no longer does, and a post waiting for review again quotes nothing."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.discussions.models import Post, PostState, ReasonCode
from learnapp.discussions.services.posts import delete_post, edit_post
from learnapp.discussions.services.review import decide_post
from learnapp.notifications.messages import render_all
from learnapp.notifications.models import Notification
from tests.discussions.factories import (
    RULES,
    make_branch_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW
from tests.notifications.helpers import notices_of
from tests.world import build_world

GONE = "This post has been deleted."


@pytest.fixture
def world(ctx, session):
    world = build_world(session)
    make_word_lists(session)
    return world


def _mention(session, world, body):
    """A reply by the secretary that mentions the member: (the reply, the member's notice)."""
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.general_secretary, board, title="学习体会")
    post = make_reply(session, world.secretary_a, thread, body=f"@{world.member_a.username} {body}")
    (notice,) = [n for n in notices_of(session, world.member_a) if n.message == "mention"]
    return post, notice


def _read(session, notice):
    with force_locale("en"):
        (text,) = render_all(session, [notice])
    return text


def test_an_edited_post_is_quoted_as_it_reads_now(world, session):
    post, notice = _mention(session, world, "原来的说法")
    assert "原来的说法" in _read(session, notice).body
    edit_post(
        session,
        world.secretary_a,
        post,
        body=f"@{world.member_a.username} 改过的说法",
        title=None,
        now=FIXED_NOW,
        rules=RULES,
    )
    text = _read(session, notice)
    assert "改过的说法" in text.body and "原来的说法" not in text.body
    # What was stored is kept as it was sent.
    assert "原来的说法" in notice.params["excerpt"]


def test_a_deleted_post_is_no_longer_quoted(world, session):
    post, notice = _mention(session, world, "不该再显示的话")
    delete_post(session, world.secretary_a, post, FIXED_NOW)
    text = _read(session, notice)
    assert text.body == GONE
    assert text.title == f"{world.secretary_a.display_name} mentioned you in “学习体会”"


def test_a_post_removed_by_a_moderator_or_in_a_withdrawn_thread_is_no_longer_quoted(world, session):
    post, notice = _mention(session, world, "被举报的话")
    decide_post(
        session,
        world.general_secretary,
        post,
        approve=False,
        reason=ReasonCode.SPAM,
        note="",
        now=FIXED_NOW,
    )
    assert post.state == PostState.REJECTED
    assert _read(session, notice).body == GONE

    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board, title="另一个话题")
    make_reply(session, world.general_secretary, thread, body="回复的内容")
    (reply_notice,) = [n for n in notices_of(session, world.secretary_a) if n.message == "reply"]
    assert _read(session, reply_notice).body == "回复的内容"
    opening = session.scalar(sa.select(Post).where(Post.thread_id == thread.id, Post.is_opening))
    delete_post(session, world.secretary_a, opening, FIXED_NOW)
    assert _read(session, reply_notice).body == GONE


def test_a_thread_removed_by_a_moderator_is_no_longer_named(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(
        session,
        world.general_secretary,
        board,
        title="攻击某同志",
        body=f"@{world.member_a.username} 看",
    )
    (notice,) = [n for n in notices_of(session, world.member_a) if n.message == "mention"]
    assert "攻击某同志" in _read(session, notice).title
    opening = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    decide_post(
        session,
        world.secretary_a,
        opening,
        approve=False,
        reason=ReasonCode.PERSONAL_ATTACK,
        note="",
        now=FIXED_NOW,
    )
    text = _read(session, notice)
    name = world.general_secretary.display_name
    assert text == (f"{name} mentioned you in “a removed thread”", GONE)
    with force_locale("zh_Hans"):
        (chinese,) = render_all(session, [notice])
    assert chinese.title == f"{name} 在“已被删除的主题”中提到了您"
    # What was stored stays as it was sent.
    assert notice.params["title"] == "攻击某同志"


def test_a_post_held_again_after_an_edit_is_not_quoted(world, session):
    post, notice = _mention(session, world, "正常的话")
    edit_post(
        session,
        world.secretary_a,
        post,
        body=f"@{world.member_a.username} 去哪里上访",
        title=None,
        now=FIXED_NOW,
        rules=RULES,
    )
    assert post.state == PostState.HELD
    text = _read(session, notice)
    assert text.body == "" and "上访" not in text.title
    assert text.title == f"{world.secretary_a.display_name} mentioned you in “学习体会”"


def test_the_list_shows_a_deleted_posts_notice_without_its_text(world, session, auth):
    post, _ = _mention(session, world, "撤回前的原话")
    session.commit()
    auth.login("mema")
    assert "撤回前的原话" in auth.client.get("/notifications").get_data(as_text=True)
    delete_post(session, world.secretary_a, post, FIXED_NOW)
    session.commit()
    page = auth.client.get("/notifications").get_data(as_text=True)
    assert "撤回前的原话" not in page
    assert "学习体会" in page


def test_parameters_that_name_no_post_render_as_stored(world, session):
    odd = [
        {"title": "甲", "thread": 1, "post": "7", "excerpt": "原文"},
        {"title": "乙", "thread": 1, "post": True, "excerpt": "原文"},
        {"title": "丙", "thread": 1, "post": 2**40, "excerpt": "原文"},
        {"title": "丁", "thread": 1, "post": 999, "excerpt": "原文"},
        ["not", "a", "mapping"],
    ]
    notices = [Notification(message="reply", params=params, title="", body="") for params in odd]
    with force_locale("en"):
        texts = render_all(session, notices)
    assert [text.body for text in texts[:4]] == ["原文"] * 4
    assert texts[4] == ("You have a notification.", "")
