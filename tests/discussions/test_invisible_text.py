"""Text a reader cannot see is no text: a title or body of zero-width characters, or a body of
which sanitising leaves nothing, is refused with a message and nothing is stored; notes lose
their bidirectional overrides; a held post's notice reads naturally in Chinese."""

import pytest
import sqlalchemy as sa

from learnapp.discussions.models import ModerationMode, Post, ReasonCode, Report, Thread
from learnapp.discussions.services.boards import create_platform_board
from learnapp.discussions.services.review import report_post
from learnapp.discussions.services.text import render_body
from learnapp.errors import DomainError
from tests.discussions.factories import make_branch_board, make_platform_board, make_thread
from tests.factories import FIXED_NOW
from tests.world import build_world

INVISIBLE = "\u200b\u200c\u200d\ufeff \u200b"


@pytest.fixture
def world(session):
    return build_world(session)


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_title_of_zero_width_characters_is_refused(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/boards/{board.id}/threads/new", {"title": INVISIBLE, "body": "正文"})
    assert response.status_code == 400
    assert "请填写标题。" in response.get_data(as_text=True)
    assert _count(session, Thread) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (INVISIBLE, "请先填写内容。"),
        ("<script>alert(1)</script>", "内容中没有可以显示的文字，请重新填写。"),
        ('<iframe src="https://evil.example"></iframe>\n\n<img src=x>', "内容中没有可以显示的文字"),
        ("<b>\u200b</b>", "内容中没有可以显示的文字"),
    ],
)
def test_a_body_that_would_show_nothing_is_refused(session, auth, world, body, message):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/boards/{board.id}/threads/new", {"title": "空帖", "body": body})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(session, Post) == 0


def test_a_reply_that_would_show_nothing_is_refused(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/threads/{thread.id}/reply", {"body": "<script>x</script>"})
    assert response.status_code == 400
    assert _count(session, Post) == 1


def test_an_image_of_the_platform_or_a_line_with_text_is_enough(ctx):
    _, html = render_body("![](/media/abc123.png)", 20_000)
    assert 'src="/media/abc123.png"' in html
    _, html = render_body("👨\u200d👩\u200d👧", 20_000)
    assert "👨" in html


def test_a_board_name_of_zero_width_characters_is_refused(ctx, session, world):
    with pytest.raises(DomainError) as refused:
        create_platform_board(
            session,
            world.admin,
            name=INVISIBLE,
            description="",
            mode=ModerationMode.STANDARD,
            now=FIXED_NOW,
        )
    assert refused.value.field == "name"


def test_a_report_note_loses_its_bidirectional_overrides(ctx, session, world):
    board = make_platform_board(session)
    thread = make_thread(session, world.member_b, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    report_post(
        session,
        world.member_a,
        post,
        reason=ReasonCode.SPAM,
        note="广告\u202eabc\u2066",
        now=FIXED_NOW,
    )
    assert session.scalar(sa.select(Report.note)) == "广告abc"


def test_a_held_posts_notice_takes_a_full_width_colon_in_chinese(session, auth, world):
    board = make_branch_board(session, world.branch_a, ModerationMode.HOLD_ALL)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/boards/{board.id}/threads/new", {"title": "求助", "body": "请教"})
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "等待审核：本版块所有帖子先审后发" in page
