"""A refusal that arrives after the page was opened says what happened: a moderator deciding a
post another has just decided hears so, and a reply sent while the thread was being locked comes
back with its text."""

import sqlalchemy as sa

from learnapp.discussions.models import Post, PostState, ReasonCode
from learnapp.discussions.services.engagement import set_thread_flags
from learnapp.discussions.services.review import decide_post
from tests.discussions.factories import make_branch_board, make_reply, make_thread
from tests.factories import FIXED_NOW
from tests.world import build_world


def test_a_decision_on_a_post_just_removed_says_it_was_decided(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = make_reply(session, world.member_a, thread, body="有问题的话")
    decide_post(
        session,
        world.secretary_a,
        post,
        approve=False,
        reason=ReasonCode.SPAM,
        note="",
        now=FIXED_NOW,
    )
    session.commit()
    auth.login("gsec")
    response = auth.post(
        f"/moderation/posts/{post.id}", {"decision": "reject", "reason": "spam", "note": ""}
    )
    assert response.status_code == 400
    assert "此帖已处理。" in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(sa.select(Post.state).where(Post.id == post.id)) == PostState.REJECTED


def test_a_reply_sent_while_the_thread_was_locked_keeps_its_text(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    set_thread_flags(session, world.secretary_a, thread, now=FIXED_NOW, locked=True)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/threads/{thread.id}/reply", {"body": "写了很久的<回复>"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "此主题已锁定" in page
    assert "您的回复未能发表，如需保留，请复制以下内容：" in page
    assert "写了很久的&lt;回复&gt;</textarea>" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1
    # Opening the thread shows no such box.
    assert 'data-testid="refused-reply"' not in auth.client.get(f"/threads/{thread.id}").get_data(
        as_text=True
    )


def test_a_notice_about_a_thread_removed_since_leads_to_its_board(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.general_secretary, board, body="@mema 请看")
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
    session.commit()
    link = f"/threads/{thread.id}/posts/{opening.id}"
    auth.login("mema")
    response = auth.client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/boards/{board.id}")
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "该主题已被删除，无法查看。" in page
    assert auth.client.get(f"/threads/{thread.id}").status_code == 404
    auth.logout()
    # Members of another branch still get 404: the board is not theirs.
    auth.login("memb")
    assert auth.client.get(link).status_code == 404
    auth.logout()
    # The moderators still open the thread itself.
    auth.login("seca")
    assert auth.client.get(link).status_code == 302
    assert f"/threads/{thread.id}" in auth.client.get(link).headers["Location"]
