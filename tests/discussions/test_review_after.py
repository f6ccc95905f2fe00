"""Publish-then-review, the to-do inbox, notification kinds of the package, and list changes
seen by another worker process."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from learnapp import inbox
from learnapp.discussions.models import ModerationMode, Post, PostState, ReasonCode, WordAction
from learnapp.discussions.queries import queue_size, review_queue
from learnapp.discussions.services import wordlists
from learnapp.discussions.services.feedback import add_message, submit_complaint
from learnapp.discussions.services.posts import PostingRules, edit_post, reply
from learnapp.discussions.services.review import decide_post
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import KINDS, mutable_kinds, muted_kinds, set_muted
from learnapp.sanitize import clean_html, render_markdown
from tests.discussions.factories import (
    RULES,
    make_branch_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(ctx, session):
    world = build_world(session)
    make_word_lists(session)
    watch = wordlists.create_category(session, None, "留意", WordAction.PASS, FIXED_NOW)
    wordlists.add_terms(session, None, watch, "理财", FIXED_NOW)
    return world


def first_post(session, thread) -> Post:
    return session.scalar(sa.select(Post).where(Post.thread_id == thread.id, Post.is_opening))


def items_for(session, user):
    """The inbox as the inbox page gets it, without other packages' items."""
    return [i for i in inbox.items_for(session, user) if i.kind in ("moderation", "complaints")]


def kinds_of(session, user) -> list[str]:
    return list(
        session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id))
    )


def test_a_recorded_term_publishes_at_once_and_queues_a_look_afterwards(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, body="单位组织理财知识讲座")
    post = first_post(session, thread)
    assert post.state == PostState.PUBLISHED and post.is_review_pending
    assert post.hold_reasons == ["recorded"] and post.hit_terms == ["理财"]
    (item,) = review_queue(session, world.secretary_a)
    assert item.post.id == post.id
    decide_post(
        session,
        world.secretary_a,
        post,
        approve=True,
        reason=ReasonCode.FINE,
        note="",
        now=FIXED_NOW,
    )
    assert post.state == PostState.PUBLISHED and not post.is_review_pending
    assert review_queue(session, world.secretary_a) == []
    # Kept as it was: the author is not told about a post that never stopped being public.
    assert "post_approved" not in kinds_of(session, world.member_a)
    # Deciding again (the same moderator's second tab, say) blames nobody.
    with pytest.raises(DomainError) as again:
        decide_post(
            session,
            world.secretary_a,
            post,
            approve=True,
            reason=ReasonCode.FINE,
            note="",
            now=FIXED_NOW,
        )
    assert str(again.value.message) == "此帖已处理。"


def test_a_post_reviewed_afterwards_can_still_be_removed(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = make_reply(session, world.member_a, thread, body="推荐一个理财群，稳赚")
    assert post.is_review_pending
    decide_post(
        session,
        world.secretary_a,
        post,
        approve=False,
        reason=ReasonCode.ADVERTISING,
        note="广告",
        now=FIXED_NOW,
    )
    assert post.state == PostState.REJECTED and not post.is_review_pending
    assert post.body_source == "推荐一个理财群，稳赚"
    assert "post_rejected" in kinds_of(session, world.member_a)


@pytest.mark.parametrize(
    ("mode", "state", "reasons"),
    [
        (ModerationMode.STANDARD, PostState.HELD, ["new_member"]),  # 先审后发 for new members
        (ModerationMode.FLAGGED_ONLY, PostState.PUBLISHED, []),  # the branch knows its members
        (ModerationMode.HOLD_ALL, PostState.HELD, ["board"]),
    ],
)
def test_new_members_are_held_by_board_mode(world, session, mode, state, reasons):
    board = make_branch_board(session, world.branch_a, mode=mode)
    rules = PostingRules(new_member_days=7, posts_per_minute=100, posts_per_day=100)
    newcomer = make_user(session, unit=world.branch_a, created_at=FIXED_NOW - timedelta(days=1))
    thread = make_thread(session, world.secretary_a, board)
    post = reply(
        session, newcomer, thread, body="大家好", quoted_post_id=None, now=FIXED_NOW, rules=rules
    )
    assert post.state == state and post.hold_reasons == reasons and not post.is_review_pending
    queued = [i.post.id for i in review_queue(session, world.secretary_a)]
    assert queued == ([post.id] if reasons else [])


def test_an_edit_that_adds_a_recorded_term_queues_the_post_again(world, session):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = make_reply(session, world.member_a, thread, body="赞同")
    assert not post.is_review_pending
    edit_post(
        session,
        world.member_a,
        post,
        body="赞同，也想听理财讲座",
        title=None,
        now=FIXED_NOW,
        rules=RULES,
    )
    assert post.state == PostState.PUBLISHED and post.is_review_pending
    assert post.hit_terms == ["理财"]


def test_the_queue_appears_in_the_moderators_inbox_and_turns_overdue(world, session, app):
    board = make_branch_board(session, world.branch_a)
    make_thread(session, world.member_a, board, body="如何维权？")
    (item,) = items_for(session, world.secretary_a)
    assert (item.kind, item.count, item.url, item.overdue) == (
        "moderation",
        1,
        "/moderation",
        False,
    )
    assert [i.kind for i in items_for(session, world.general_secretary)] == ["moderation"]
    assert items_for(session, world.member_a) == []
    assert queue_size(session, world.member_b) == 0
    app.config["CLOCK"].advance(hours=25)
    (item,) = items_for(session, world.secretary_a)
    assert item.overdue


def test_unanswered_complaints_appear_in_the_administrators_inbox(world, session, app):
    complaint = submit_complaint(
        session, world.member_a, subject="建议", body="希望增加音频课程", now=FIXED_NOW
    )
    assert [(i.kind, i.count) for i in items_for(session, world.admin)] == [("complaints", 1)]
    assert items_for(session, world.secretary_a) == []
    app.config["CLOCK"].advance(days=4)
    assert items_for(session, world.admin)[0].overdue
    add_message(session, world.admin, complaint, body="已收到，正在安排", now=FIXED_NOW)
    assert items_for(session, world.admin) == []


def test_members_mute_optional_kinds_but_never_mandatory_ones(world, session):
    assert {"mention", "reply", "report_decided"} <= {k.key for k in mutable_kinds()}
    assert KINDS["announcement"].mandatory and KINDS["post_rejected"].mandatory
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    set_muted(session, world.member_a, ["reply"], FIXED_NOW)
    assert muted_kinds(session, world.member_a.id) == {"reply"}
    make_reply(session, world.secretary_a, thread, body="同意")
    make_reply(session, world.secretary_a, thread, body="@mema 请补充")
    assert kinds_of(session, world.member_a) == ["mention"]
    with pytest.raises(DomainError):
        set_muted(session, world.member_a, ["announcement"], FIXED_NOW)
    with pytest.raises(DomainError):
        set_muted(session, world.member_a, ["no-such-kind"], FIXED_NOW)
    set_muted(session, world.member_a, [], FIXED_NOW)
    assert muted_kinds(session, world.member_a.id) == set()


def test_a_list_change_reaches_another_worker_process_without_restart(world, session, app):
    """Each worker keeps its own matcher; the version row in the database tells it to rebuild."""
    session.commit()
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.discussions.worker", app.config["DATABASE_URL"]],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask(text):
        worker.stdin.write(text + "\n")
        worker.stdin.flush()
        return worker.stdout.readline().strip()

    with worker:
        assert ask("加入炒股群") == "none"
        assert ask("如何维权") == "review"  # the worker has built and cached its matcher
        category = wordlists.create_category(session, None, "新增", WordAction.BLOCK, FIXED_NOW)
        wordlists.add_terms(session, None, category, "炒股群", FIXED_NOW)
        session.commit()
        assert ask("加入炒股群") == "block"
        wordlists.add_allowed(session, None, "维权意识", FIXED_NOW)
        session.commit()
        assert ask("增强维权意识") == "none"
        worker.stdin.close()
        assert worker.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "src",
    [
        "/media/../logout",
        "/media/%2e%2e/logout",
        "/media/a/../../logout",
        "/media/..",
        "/media/a.png?next=/logout",
        "/media/a.png\n",
        "/media\\..\\logout",
        "/logout",
    ],
)
def test_images_outside_the_uploads_are_dropped(src):
    html = clean_html(f'<img src="{src}" alt="x">')
    assert "<img" not in html


def test_uploaded_images_and_link_rel_survive():
    assert 'src="/media/3f9a.png"' in clean_html('<img src="/media/3f9a.png" alt="图">')
    html = render_markdown("[学习强国](https://www.xuexi.cn/)")
    assert 'rel="nofollow noopener noreferrer"' in html and 'href="https://www.xuexi.cn/"' in html


def test_likes_are_shown_but_never_counted_as_participation(world, session):
    from learnapp.discussions.queries import approved_contributions, likes_of
    from learnapp.discussions.services.engagement import set_like

    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    post = first_post(session, thread)
    before = approved_contributions(
        session, [world.member_a.id], FIXED_NOW - timedelta(days=1), FIXED_NOW + timedelta(days=1)
    )
    set_like(session, world.secretary_a, post, True, FIXED_NOW)
    set_like(session, world.general_secretary, post, True, FIXED_NOW)
    set_like(session, world.general_secretary, post, True, FIXED_NOW)  # idempotent
    likes = likes_of(session, [post], world.secretary_a)
    assert likes.counts == {post.id: 2} and likes.mine == {post.id}
    after = approved_contributions(
        session, [world.member_a.id], FIXED_NOW - timedelta(days=1), FIXED_NOW + timedelta(days=1)
    )
    assert before == after == {world.member_a.id: 1}
    set_like(session, world.secretary_a, post, False, FIXED_NOW)
    assert likes_of(session, [post], world.secretary_a).counts == {post.id: 1}
    with pytest.raises(DomainError):
        set_like(session, world.member_a, post, True, FIXED_NOW)  # one's own post
    with pytest.raises(DomainError):
        set_like(session, world.member_b, post, True, FIXED_NOW)  # another branch's board


def test_the_settings_page_mutes_a_kind(session, auth):
    world = build_world(session)
    auth.login(world.member_a.username)
    page = auth.client.get("/notifications/settings").get_data(as_text=True)
    assert re.search(r'<input checked [^>]*name="receive" type="checkbox" value="reply">', page)
    assert 'data-testid="mandatory-kinds"' in page
    response = auth.post("/notifications/settings", {"receive": ["mention"]})
    assert response.status_code == 302
    session.rollback()
    # Only the kinds that can reach a member are offered (not the administrators' complaints).
    others = {kind.key for kind in mutable_kinds(world.member_a)} - {"mention"}
    assert "complaint" not in others
    assert "reply" in others and muted_kinds(session, world.member_a.id) == others
    assert auth.post("/notifications/settings", {"receive": ["announcement"]}).status_code == 400
    session.rollback()
    assert muted_kinds(session, world.member_a.id) == others


def test_flooding_the_complaint_channel_gets_429_and_stores_nothing(session, auth, app):
    from learnapp.discussions.models import Complaint, ComplaintMessage
    from learnapp.discussions.services.feedback import MESSAGES_PER_HOUR

    world = build_world(session)
    auth.login(world.member_a.username)
    for number in range(MESSAGES_PER_HOUR):
        response = auth.post("/feedback", {"subject": f"建议{number}", "body": "内容"})
        assert response.status_code == 302
    response = auth.post("/feedback", {"subject": "再一条", "body": "内容"})
    assert response.status_code == 429
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == MESSAGES_PER_HOUR
    complaint_id = session.scalar(sa.select(sa.func.min(Complaint.id)))
    assert auth.post(f"/feedback/{complaint_id}", {"body": "补充"}).status_code == 429
    app.config["CLOCK"].advance(hours=1, minutes=1)
    assert auth.post(f"/feedback/{complaint_id}", {"body": "补充"}).status_code == 302
    session.rollback()
    count = session.scalar(sa.select(sa.func.count()).select_from(ComplaintMessage))
    assert count == MESSAGES_PER_HOUR + 1


def test_the_inbox_count_is_index_lookups_not_a_scan_of_the_posts(world, session):
    if session.get_bind().dialect.name != "sqlite":
        return
    from learnapp.discussions.queries.moderation import _queue_select

    query = _queue_select(world.admin, (sa.func.count(),))
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " | ".join(str(row[-1]) for row in session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "MULTI-INDEX OR" in plan and "SCAN posts" not in plan, plan


def test_board_followers_hear_of_new_threads_while_they_can_see_the_board(world, session):
    from learnapp.discussions.services.engagement import (
        set_board_subscription,
        set_subscription,
    )

    board = make_branch_board(session, world.branch_a)
    set_board_subscription(session, world.member_a, board, True, FIXED_NOW)
    with pytest.raises(DomainError):
        set_board_subscription(session, world.member_b, board, True, FIXED_NOW)
    thread = make_thread(session, world.secretary_a, board, title="新话题")
    make_reply(session, world.secretary_a, thread, body="第一条回复")
    assert kinds_of(session, world.member_a) == ["new_thread"]  # not subscribed to the thread
    set_subscription(session, world.member_a, thread, True, FIXED_NOW)
    # The member moves to another branch: the board and its thread are no longer theirs.
    world.member_a.unit_id = world.branch_b.id
    session.flush()
    session.expire(world.member_a, ["unit"])
    make_thread(session, world.secretary_a, board, title="又一个话题")
    make_reply(session, world.secretary_a, thread, body="第二条回复")
    assert kinds_of(session, world.member_a) == ["new_thread"]
    set_board_subscription(session, world.general_secretary, board, True, FIXED_NOW)
    set_board_subscription(session, world.general_secretary, board, False, FIXED_NOW)
    make_thread(session, world.secretary_a, board, title="第三个话题")
    assert kinds_of(session, world.general_secretary) == []
