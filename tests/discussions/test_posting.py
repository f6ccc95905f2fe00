"""Posting from a phone: refused replies come back where the member is looking, a resent post is
not posted twice, the edit and report forms refuse when they open, and the actions under a post
say what the member has done."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.discussions.models import Post, PostState, Report, Thread
from learnapp.discussions.services.posts import (
    DuplicatePost,
    PostingRules,
    check_editable,
    create_thread,
    delete_post,
    reply,
)
from learnapp.discussions.services.review import check_reportable
from learnapp.errors import DomainError
from tests.discussions.factories import make_branch_board, make_reply, make_thread
from tests.factories import FIXED_NOW
from tests.world import build_world

RULES = PostingRules(new_member_days=0)


@pytest.fixture
def world(session):
    return build_world(session)


def fresh(session):
    """See what the requests committed."""
    session.rollback()
    session.expire_all()


def reply_section(page: str) -> str:
    start = page.index('id="reply"')
    return page[start : page.index("</section>", start)]


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


# --- 1. a refused reply comes back at the reply box -------------------------------------------


def test_the_reply_box_is_not_focused_on_an_ordinary_visit(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    session.commit()
    auth.login("mema")
    box = reply_section(auth.client.get(f"/threads/{thread.id}").get_data(as_text=True))
    assert f'action="/threads/{thread.id}/reply#body"' in box
    assert "autofocus" not in box


@pytest.mark.parametrize(
    ("body", "status"),
    [("", 400), ("   ", 400), ("字" * 20_001, 400)],
    ids=["empty", "blank", "long"],
)
def test_a_refused_reply_comes_back_at_the_reply_box_with_the_text_kept(
    session, auth, world, body, status
):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/threads/{thread.id}/reply", {"body": body})
    assert response.status_code == status
    box = reply_section(response.get_data(as_text=True))
    # The form's action carries the box's id, so the page it answers with opens at the box...
    assert f'action="/threads/{thread.id}/reply#body"' in box
    # ...with the box focused, marked invalid, its message beside it and the text still in it.
    textarea = re.search(r"<textarea[^>]*>", box).group()
    assert "autofocus" in textarea and "is-invalid" in textarea
    assert 'class="invalid-feedback"' in box
    if body.strip():
        assert body in box
    fresh(session)
    assert count(session, Post) == 1


def test_a_reply_refused_for_posting_too_fast_shows_why_at_the_reply_box(
    session, auth, world, clock
):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    session.commit()
    auth.login("mema")
    for number in range(5):
        assert (
            auth.post(f"/threads/{thread.id}/reply", {"body": f"第{number}条"}).status_code == 302
        )
    response = auth.post(f"/threads/{thread.id}/reply", {"body": "第六条，稍后再发"})
    assert response.status_code == 429
    box = reply_section(response.get_data(as_text=True))
    assert 'data-testid="form-error"' in box
    assert "autofocus" in re.search(r"<textarea[^>]*>", box).group()
    assert "第六条，稍后再发" in box


# --- 2. the same post again is not posted twice -----------------------------------------------


def test_the_same_thread_again_is_refused_and_names_the_first(ctx, session, world):
    board = make_branch_board(session, world.branch_a)
    first = create_thread(
        session,
        world.member_a,
        board,
        title="学习体会",
        body="认真学习。",
        now=FIXED_NOW,
        rules=RULES,
    )
    later = FIXED_NOW + timedelta(minutes=5)
    with pytest.raises(DuplicatePost) as refused:
        create_thread(
            session,
            world.member_a,
            board,
            title="学习体会",
            body="认真学习。",
            now=later,
            rules=RULES,
        )
    assert refused.value.post.thread_id == first.id
    assert count(session, Thread) == 1
    # Another title, another text, another author, or after the window: a new thread.
    for title, body, author, when in (
        ("学习体会（二）", "认真学习。", world.member_a, later),
        ("学习体会", "继续学习。", world.member_a, later),
        ("学习体会", "认真学习。", world.secretary_a, later),
        ("学习体会", "认真学习。", world.member_a, FIXED_NOW + timedelta(minutes=61)),
    ):
        create_thread(session, author, board, title=title, body=body, now=when, rules=RULES)
    assert count(session, Thread) == 5


def test_the_same_reply_again_is_refused_unless_the_first_is_gone(ctx, session, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    other = make_thread(session, world.secretary_a, board, title="另一个话题")

    def send(where, now):
        return reply(
            session, world.member_a, where, body="同意。", quoted_post_id=None, now=now, rules=RULES
        )

    first = send(thread, FIXED_NOW)
    with pytest.raises(DuplicatePost) as refused:
        send(thread, FIXED_NOW + timedelta(seconds=30))
    assert refused.value.post.id == first.id
    assert send(other, FIXED_NOW + timedelta(seconds=30)).thread_id == other.id
    delete_post(session, world.member_a, first, FIXED_NOW + timedelta(minutes=1))
    assert send(thread, FIXED_NOW + timedelta(minutes=2)).state == PostState.PUBLISHED


def test_posting_a_thread_again_after_back_leads_to_the_first(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    form = {"title": "学习体会", "body": "认真学习。"}
    first = auth.post(f"/boards/{board.id}/threads/new", form)
    assert first.status_code == 302
    again = auth.post(f"/boards/{board.id}/threads/new", form)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    page = auth.client.get(again.headers["Location"]).get_data(as_text=True)
    assert 'class="alert alert-warning' in page
    fresh(session)
    assert count(session, Thread) == 1


def test_posting_a_reply_again_after_back_leads_to_the_first(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    session.commit()
    auth.login("mema")
    first = auth.post(f"/threads/{thread.id}/reply", {"body": "同意。"})
    again = auth.post(f"/threads/{thread.id}/reply", {"body": "同意。"})
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    fresh(session)
    assert count(session, Post) == 2


# --- 3. the edit form refuses once the edit window has passed --------------------------------


def test_the_edit_window_is_checked_before_the_form_opens(session, auth, world, clock):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    own = make_reply(session, world.member_a, thread, body="原文")
    session.commit()
    auth.login("mema")
    thread_page = auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/posts/{own.id}/edit"' in thread_page
    assert auth.client.get(f"/posts/{own.id}/edit").status_code == 200
    clock.advance(minutes=16)
    late = auth.client.get(f"/posts/{own.id}/edit")
    assert late.status_code == 403
    page = late.get_data(as_text=True)
    assert 'data-testid="refusal"' in page and "15" in page
    assert "<textarea" not in page
    assert f'href="/threads/{thread.id}/posts/{own.id}"' in page
    thread_page = auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/posts/{own.id}/edit"' not in thread_page
    # A save that comes too late keeps its text on the form with the reason.
    saved = auth.post(f"/posts/{own.id}/edit", {"body": "改得太晚"})
    assert saved.status_code == 403 and "改得太晚" in saved.get_data(as_text=True)


def test_a_deleted_post_cannot_be_opened_for_editing(ctx, session, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    own = make_reply(session, world.member_a, thread)
    check_editable(world.member_a, own, FIXED_NOW, RULES)
    delete_post(session, world.member_a, own, FIXED_NOW)
    with pytest.raises(DomainError):
        check_editable(world.member_a, own, FIXED_NOW, RULES)


# --- 7. reporting ------------------------------------------------------------------------------


def test_the_report_form_makes_the_member_choose_a_reason(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    session.commit()
    auth.login("mema")
    form = auth.client.get(f"/posts/{post.id}/report").get_data(as_text=True)
    select = re.search(r"<select[^>]*name=\"reason\".*?</select>", form, re.DOTALL).group()
    assert re.search(r'<option (selected )?value="">', select)
    assert "selected" not in select.replace('<option selected value="">', "")
    unchosen = auth.post(f"/posts/{post.id}/report", {"reason": "", "note": "不对"})
    assert unchosen.status_code == 400
    assert "不对" in unchosen.get_data(as_text=True)
    fresh(session)
    assert count(session, Report) == 0


def test_a_reported_post_says_so_and_its_form_refuses_when_it_opens(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/posts/{post.id}/report"' in page and 'data-testid="reported"' not in page
    sent = auth.post(f"/posts/{post.id}/report", {"reason": "spam", "note": ""})
    assert sent.status_code == 302
    page = auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/posts/{post.id}/report"' not in page and 'data-testid="reported"' in page
    again = auth.client.get(f"/posts/{post.id}/report")
    assert again.status_code == 403
    assert 'data-testid="refusal"' in again.get_data(as_text=True)
    assert "report-submit" not in again.get_data(as_text=True)
    assert auth.post(f"/posts/{post.id}/report", {"reason": "spam"}).status_code == 403
    fresh(session)
    assert count(session, Report) == 1


def test_ones_own_post_cannot_be_reported_and_the_form_says_so_when_it_opens(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    session.commit()
    with pytest.raises(DomainError):
        check_reportable(session, world.member_a, post)
    auth.login("mema")
    response = auth.client.get(f"/posts/{post.id}/report")
    assert response.status_code == 403
    assert "report-submit" not in response.get_data(as_text=True)
