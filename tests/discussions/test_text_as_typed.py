"""A post's body shows exactly as typed (security.md §6.1 #27): entities and backslashes are
text, on the thread page, in the edit box and in a quote's excerpt, while Markdown formatting
still works and nothing active gets through."""

import sqlalchemy as sa

from learnapp.discussions.models import Post, Thread
from tests.discussions.factories import make_branch_board, make_thread
from tests.discussions.test_views import assert_inert
from tests.world import build_world

TRICKY = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
SHOWN = "<p>&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; ' \\' 碁 \\ \\\\</p>"
# The same text inside an attribute or a textarea, as Jinja escapes it.
ESCAPED = "&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; &#39; \\&#39; 碁 \\ \\\\"


def test_the_tricky_string_in_a_post_body_is_stored_and_shown_as_typed(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    response = auth.post(f"/boards/{board.id}/threads/new", {"title": "符号", "body": TRICKY})
    assert response.status_code == 302
    post = session.scalar(sa.select(Post))
    assert post.body_source == TRICKY
    assert post.body_html == SHOWN
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert SHOWN in page
    assert_inert(page)
    edit = auth.client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert ESCAPED in edit  # the edit box holds the source as typed
    assert post.excerpt == TRICKY


def test_a_quote_of_the_post_shows_its_excerpt_as_typed(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    post = make_thread(session, world.secretary_a, board, body=f"**注意** {TRICKY}")
    session.commit()
    auth.login("mema")
    thread_id = session.scalar(sa.select(Thread.id))
    page = auth.client.get(f"/threads/{thread_id}?quote={post.id}").get_data(as_text=True)
    assert f"<strong>注意</strong> {SHOWN[3:-4]}" in page  # the post, formatted
    assert f'data-testid="quoting-excerpt">注意 {ESCAPED}<' in page  # the quote, plain


def test_an_edit_renders_the_body_as_typed_again(session, auth):
    world = build_world(session)
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    auth.post(f"/boards/{board.id}/threads/new", {"title": "符号", "body": "初稿"})
    post = session.scalar(sa.select(Post))
    assert (
        auth.post(f"/posts/{post.id}/edit", {"title": "符号", "body": f"- {TRICKY}"}).status_code
        == 302
    )
    session.rollback()
    assert session.scalar(sa.select(Post.body_html)) == f"<ul>\n<li>{SHOWN[3:-4]}</li>\n</ul>"
