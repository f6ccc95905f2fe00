"""The discussion pages: XSS vectors, caps, floods, scope, and the moderation journey."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.discussions.models import (
    Announcement,
    AnnouncementRead,
    Complaint,
    ModerationMode,
    Post,
    PostState,
    Thread,
)
from learnapp.notifications.models import Notification
from tests.discussions.factories import (
    make_branch_board,
    make_platform_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW
from tests.world import build_world

# security.md §6.1, the rows that apply to posts (1–24, 27–29, 31 via the caps tests).
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<span style="background-image:url(javascript:alert(1))">x</span>',
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:white">Log in again</span>',
    '<img src="/quiz/5/attempt/start">',
    '<img src="/logout">',
    '<a href="//evil.example/phish">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<object data=x.swf></object><embed src=x>",
    '<base href="https://evil.example/">',
    '<meta http-equiv=refresh content="0;url=https://evil.example">',
    '<form action="https://evil.example"><input name=password></form>',
    "<details open ontoggle=alert(1)>x</details>",
    "<p onclick=alert(1)>x</p><div onmouseover=alert(1)>y</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<a href="https://ok.example" target="_blank">ok</a>',
    "[click](javascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '![a](x" onerror="alert(1))',
    "{{constructor.constructor('alert(1)')()}} {{7*7}}",
    '" autofocus onfocus=alert(1) x="',
    "</script><script>alert(1)</script>",
]
FORBIDDEN_TAGS = {"svg", "math", "iframe", "object", "embed", "base", "meta", "style", "input"}


class ActiveContent(HTMLParser):
    """Collects anything in a page that could run: handlers, script URLs, foreign tags."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if (
            tag in FORBIDDEN_TAGS
            and not (tag == "meta" and dict(attrs).get("name"))
            and not (tag == "meta" and "charset" in dict(attrs))
            and not (
                tag == "input"
                and dict(attrs).get("type") in ("hidden", "text", None)
                and dict(attrs).get("name") != "password"
            )
        ):
            self.problems.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "formaction") and value.startswith(
                ("javascript:", "data:", "vbscript:", "//")
            ):
                self.problems.append(f"{tag}[{name}={value[:20]}]")
            if tag == "a" and name == "target":
                self.problems.append("a[target]")
        if tag == "script" and not dict(attrs).get("src"):
            self.inline_scripts += 1
        if tag == "form" and dict(attrs).get("action", "").startswith("http"):
            self.problems.append("form[action]")


def assert_inert(html: str):
    checker = ActiveContent()
    checker.feed(html)
    assert checker.problems == []
    assert checker.inline_scripts == 0
    assert "alert(1)</script>" not in html.replace("&lt;", "<") or "<script>alert" not in html


@pytest.fixture
def world(session):
    world = build_world(session)
    return world


def fresh(session):
    """See what the requests committed: end the test's snapshot and forget loaded objects."""
    session.rollback()
    session.expire_all()


def post_thread(auth, board_id, title, body):
    return auth.post(f"/boards/{board_id}/threads/new", {"title": title, "body": body})


def test_every_xss_vector_in_a_title_and_a_body_yields_no_active_content(
    session, auth, world, clock
):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    for index, vector in enumerate(XSS):
        clock.advance(minutes=1)  # stay under the flood limit
        response = post_thread(auth, board.id, vector[:120], f"第{index}条\n\n{vector}")
        assert response.status_code == 302, vector
        page = auth.client.get(response.headers["Location"])
        assert page.status_code == 200
        assert_inert(page.get_data(as_text=True))
    listing = auth.client.get(f"/boards/{board.id}?page=1").get_data(as_text=True)
    assert_inert(listing)
    stored = session.scalars(sa.select(Post.body_html)).all()
    for html in stored:
        assert "onerror" not in html and "javascript:" not in html and "<svg" not in html


def test_a_tricky_title_round_trips_exactly(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    tricky = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
    response = post_thread(auth, board.id, tricky, "正文")
    thread = session.scalar(sa.select(Thread))
    assert thread.title == tricky
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; &#39; \\&#39; 碁 \\ \\\\" in page


def test_bidi_controls_are_stripped_from_titles(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    post_thread(auth, board.id, "invoice\u202egnp.exe", "正文")
    assert session.scalar(sa.select(Thread.title)) == "invoicegnp.exe"


def test_oversized_posts_are_refused_with_a_message_and_nothing_stored(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    too_long = post_thread(auth, board.id, "长帖", "字" * 20_001)
    assert too_long.status_code == 400
    assert "20000" in too_long.get_data(as_text=True)
    long_title = post_thread(auth, board.id, "题" * 121, "正文")
    assert long_title.status_code == 400
    huge = post_thread(auth, board.id, "巨帖", "<div>" * 200_000)
    assert huge.status_code in (400, 413)
    assert session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_flooding_gets_429(app, session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("mema")
    codes = [post_thread(auth, board.id, f"第{i}帖", "内容").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert session.scalar(sa.select(sa.func.count()).select_from(Post)) == 5


def test_a_branch_board_is_404_for_members_of_other_branches(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    session.commit()
    auth.login("memb")
    assert auth.client.get(f"/boards/{board.id}").status_code == 404
    assert auth.client.get(f"/threads/{thread.id}").status_code == 404
    assert post_thread(auth, board.id, "闯入", "内容").status_code == 404
    assert auth.post(f"/threads/{thread.id}/reply", {"body": "闯入"}).status_code == 404
    boards = auth.client.get("/boards").get_data(as_text=True)
    assert board.name not in boards


def test_editing_someone_elses_post_is_refused_and_late_edits_too(app, session, auth, world, clock):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    own = make_reply(session, world.member_a, thread, body="原文")
    session.commit()
    auth.login("mema")
    assert auth.client.get(f"/posts/{post.id}/edit").status_code == 403
    assert auth.post(f"/posts/{post.id}/edit", {"body": "改", "title": "改"}).status_code == 403
    assert auth.post(f"/posts/{own.id}/edit", {"body": "修改后"}).status_code == 302
    clock.advance(minutes=16)
    late = auth.post(f"/posts/{own.id}/edit", {"body": "太晚"})
    assert late.status_code == 403
    fresh(session)
    assert session.get(Post, own.id).body_source == "修改后"


def test_held_posts_are_hidden_from_others_until_approved_in_the_queue(session, auth, world):
    make_word_lists(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board, title="讨论")
    session.commit()
    auth.login("mema")
    response = auth.post(f"/threads/{thread.id}/reply", {"body": "这算不算维权"})
    assert response.status_code == 302
    held = session.scalar(sa.select(Post).where(Post.state == PostState.HELD))
    assert "这算不算维权" in auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    auth.logout()
    auth.login("gsec")  # secretary of the general branch above: a moderator here
    queue = auth.client.get("/moderation").get_data(as_text=True)
    assert "这算不算维权" in queue
    review = auth.client.get(f"/moderation/posts/{held.id}").get_data(as_text=True)
    assert '<mark class="hit">维权</mark>' in review
    decided = auth.post(
        f"/moderation/posts/{held.id}",
        {"decision": "approve", "reason": "false_positive", "note": ""},
    )
    assert decided.status_code == 302
    fresh(session)
    assert session.get(Post, held.id).state == PostState.PUBLISHED
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "post.approved", AuditEntry.target_id == str(held.id)
        )
    )
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/moderation/posts/{held.id}").status_code == 403


def test_members_cannot_open_the_queue_and_other_secretaries_get_404(session, auth, world):
    make_word_lists(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board, body="上访")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    session.commit()
    auth.login("mema")
    assert auth.client.get("/moderation").status_code == 403
    auth.logout()
    auth.login("admin")
    assert auth.client.get(f"/moderation/posts/{post.id}").status_code == 200


def test_a_report_reaches_the_queue(session, auth, world):
    board = make_platform_board(session)
    thread = make_thread(session, world.member_b, board)
    session.commit()
    auth.login("mema")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    response = auth.post(f"/posts/{post.id}/report", {"reason": "spam", "note": "广告"})
    assert response.status_code == 302
    auth.logout()
    auth.login("admin")
    assert "1 report" in auth.client.get("/moderation").get_data(
        as_text=True
    ) or "举报" in auth.client.get("/moderation").get_data(as_text=True)


def test_word_lists_are_maintained_in_the_admin_ui_and_apply_at_once(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    session.commit()
    auth.login("admin")
    assert (
        auth.post("/admin/words/categories", {"name": "测试", "action": "review"}).status_code
        == 302
    )
    from learnapp.discussions.models import WordCategory

    category = session.scalar(sa.select(WordCategory))
    assert (
        auth.post(
            f"/admin/words/categories/{category.id}/terms", {"terms": "加群领红包"}
        ).status_code
        == 302
    )
    auth.logout()
    auth.login("mema")
    post_thread(auth, board.id, "福利", "快来加群领红包")
    fresh(session)
    assert session.scalar(sa.select(Thread.state)) == PostState.HELD
    auth.logout()
    auth.login("mema")
    assert auth.client.get("/admin/words").status_code == 403


def test_pin_and_lock_are_for_moderators(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    session.commit()
    auth.login("seca")
    assert auth.post(f"/threads/{thread.id}/flags", {"flag": "pin"}).status_code == 302
    assert auth.post(f"/threads/{thread.id}/flags", {"flag": "lock"}).status_code == 302
    fresh(session)
    locked = session.get(Thread, thread.id)
    assert locked.is_pinned and locked.is_locked
    auth.logout()
    auth.login("mema")
    assert auth.post(f"/threads/{thread.id}/flags", {"flag": "unlock"}).status_code == 403
    assert auth.post(f"/threads/{thread.id}/reply", {"body": "还能回吗"}).status_code == 400


def test_pages_of_a_long_thread_and_the_unread_jump(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board)
    for i in range(45):
        make_reply(session, world.secretary_a, thread, body=f"第{i}楼")
    session.commit()
    auth.login("mema")
    listing = auth.client.get(f"/boards/{board.id}").get_data(as_text=True)
    assert 'data-testid="unread"' in listing
    jump = auth.client.get(f"/threads/{thread.id}?unread=1")
    opening = session.scalar(sa.select(Post.id).where(Post.is_opening.is_(True)))
    assert jump.status_code == 302
    assert jump.headers["Location"].endswith(f"/threads/{thread.id}/posts/{opening}")
    target = auth.client.get(jump.headers["Location"])
    assert target.headers["Location"].endswith(f"/threads/{thread.id}?page=1#post-{opening}")
    third = auth.client.get(f"/threads/{thread.id}?page=3").get_data(as_text=True)
    assert "第44楼" in third and "第0楼" not in third
    listing = auth.client.get(f"/boards/{board.id}").get_data(as_text=True)
    assert 'data-testid="unread"' not in listing


def test_announcements_reach_the_subtree_and_the_author_sees_receipts(session, auth, world):
    session.commit()
    auth.login("seca")
    response = auth.post(
        "/announcements/new",
        {"unit_id": world.branch_a.id, "title": "支部大会通知", "body": "周五下午开会"},
    )
    assert response.status_code == 302
    announcement = session.scalar(sa.select(Announcement))
    outside = auth.post(
        "/announcements/new", {"unit_id": world.branch_b.id, "title": "越权", "body": "x"}
    )
    assert outside.status_code == 400
    auth.logout()
    auth.login("mema")
    home = auth.client.get("/").get_data(as_text=True)
    assert "支部大会通知" in home
    assert auth.client.get(f"/announcements/{announcement.id}").status_code == 200
    fresh(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(AnnouncementRead)) == 1
    auth.logout()
    auth.login("memb")
    assert "支部大会通知" not in auth.client.get("/").get_data(as_text=True)
    assert auth.client.get(f"/announcements/{announcement.id}").status_code == 404
    auth.logout()
    auth.login("seca")
    receipts = auth.client.get(f"/announcements/{announcement.id}/receipts").get_data(as_text=True)
    assert world.member_a.display_name in receipts
    assert world.member_b.display_name not in receipts


def test_complaints_go_to_admins_and_the_member_sees_the_reply(session, auth, world):
    session.commit()
    auth.login("mema")
    response = auth.post("/feedback", {"subject": "建议", "body": "希望增加夜间模式"})
    assert response.status_code == 302
    complaint = session.scalar(sa.select(Complaint))
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/feedback/{complaint.id}").status_code == 404
    auth.logout()
    auth.login("admin")
    assert "建议" in auth.client.get("/admin/feedback").get_data(as_text=True)
    assert (
        auth.post(f"/admin/feedback/{complaint.id}", {"body": "已收到，会考虑"}).status_code == 302
    )
    auth.logout()
    auth.login("mema")
    assert "已收到，会考虑" in auth.client.get(f"/feedback/{complaint.id}").get_data(as_text=True)
    fresh(session)
    kinds = session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == world.member_a.id)
    ).all()
    assert "complaint_reply" in kinds


def test_admins_open_platform_boards_and_members_cannot(session, auth, world):
    session.commit()
    auth.login("mema")
    assert auth.client.get("/boards/new").status_code == 403
    auth.logout()
    auth.login("admin")
    response = auth.post("/boards/new", {"name": "全院交流", "description": "", "mode": "standard"})
    assert response.status_code == 302
    auth.logout()
    auth.login("memb")
    assert "全院交流" in auth.client.get("/boards").get_data(as_text=True)


def test_the_branch_board_opens_on_first_visit_once(session, auth, world):
    session.commit()
    auth.login("mema")
    assert world.branch_a.name in auth.client.get("/boards").get_data(as_text=True)
    auth.client.get("/boards")
    from learnapp.discussions.models import Board

    fresh(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Board)) == 1


def test_a_moderators_own_held_post_waits_for_another_moderator(session, auth, world):
    make_word_lists(session)
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.secretary_a, board, title="讨论", body="关于维权")
    post = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    session.commit()
    auth.login("seca")
    assert "queue-empty" in auth.client.get("/moderation").get_data(as_text=True)
    review = auth.client.get(f"/moderation/posts/{post.id}").get_data(as_text=True)
    assert 'data-testid="own-post"' in review and 'data-testid="decision-form"' not in review
    refused = auth.post(
        f"/moderation/posts/{post.id}", {"decision": "approve", "reason": "fine", "note": ""}
    )
    assert refused.status_code == 400
    fresh(session)
    assert session.get(Post, post.id).state == PostState.HELD
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "post.approved")
        )
        == 0
    )


def test_xss_vectors_in_announcements_and_complaints_yield_no_active_content(session, auth, world):
    session.commit()
    auth.login("seca")
    for index, vector in enumerate(XSS):
        response = auth.post(
            "/announcements/new",
            {
                "unit_id": world.branch_a.id,
                "title": vector[:120],
                "body": f"第{index}条\n\n{vector}",
            },
        )
        assert response.status_code == 302, vector
        assert_inert(auth.client.get(response.headers["Location"]).get_data(as_text=True))
    assert_inert(auth.client.get("/announcements").get_data(as_text=True))
    auth.logout()
    auth.login("mema")
    assert_inert(auth.client.get("/").get_data(as_text=True))
    assert_inert(auth.client.get("/notifications").get_data(as_text=True))
    for vector in XSS[:10]:  # the member's hourly message limit
        response = auth.post("/feedback", {"subject": vector[:120], "body": vector})
        assert response.status_code == 302, vector
        assert_inert(auth.client.get(response.headers["Location"]).get_data(as_text=True))
    assert_inert(auth.client.get("/feedback").get_data(as_text=True))
    auth.logout()
    auth.login("admin")
    assert_inert(auth.client.get("/admin/feedback").get_data(as_text=True))
    complaint = session.scalar(sa.select(Complaint).order_by(Complaint.id))
    assert_inert(auth.client.get(f"/admin/feedback/{complaint.id}").get_data(as_text=True))


def test_the_notices_of_a_removed_thread_lead_somewhere_its_author_can_open(session, auth, world):
    make_word_lists(session)
    board = make_branch_board(session, world.branch_a)
    held = make_thread(session, world.member_a, board, title="求助", body="怎么维权")
    reply_post = make_reply(session, world.member_a, make_thread(session, world.secretary_a, board))
    session.commit()
    auth.login("seca")
    for post_id in (
        session.scalar(sa.select(Post.id).where(Post.thread_id == held.id)),
        reply_post.id,
    ):
        removed = auth.post(
            f"/moderation/posts/{post_id}",
            {"decision": "reject", "reason": "off_topic", "note": "离题"},
        )
        assert removed.status_code == 302
    auth.logout()
    auth.login("mema")
    fresh(session)
    links = session.scalars(
        sa.select(Notification.link).where(
            Notification.user_id == world.member_a.id, Notification.kind == "post_rejected"
        )
    ).all()
    assert sorted(links) == sorted(
        [f"/boards/{board.id}", f"/threads/{reply_post.thread_id}/posts/{reply_post.id}"]
    )
    for link in links:
        assert auth.client.get(link, follow_redirects=True).status_code == 200


def test_tampered_ids_and_control_characters_get_clear_answers(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    session.commit()
    auth.login("mema")
    huge = "9" * 30
    for tampered in (huge, "9" * 5000, "-1", "١", "1.0"):
        response = auth.post(
            f"/threads/{thread.id}/reply", {"body": "引用", "quoted_post_id": tampered}
        )
        assert response.status_code == 400, tampered
    assert auth.client.get(f"/threads/{thread.id}?quote={'9' * 12}").status_code == 400
    for url in (
        f"/threads/{huge}",
        f"/boards/{huge}",
        f"/posts/{huge}/history",
        "/threads/" + "9" * 5000,
    ):
        assert auth.client.get(url).status_code == 404, url
    assert auth.post(f"/posts/{huge}/report", {"reason": "spam"}).status_code == 404
    assert auth.post(f"/notifications/{huge}/open").status_code == 404
    fresh(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1
    # NUL and other controls are never typed (and PostgreSQL refuses NUL): removed.
    posted = auth.post(
        f"/boards/{board.id}/threads/new", {"title": "标\x00题", "body": "正\x00文\x07"}
    )
    assert posted.status_code == 302
    only_controls = auth.post("/feedback", {"subject": "建议", "body": "\x00\x01"})
    assert only_controls.status_code == 400
    fresh(session)
    newest = session.scalar(sa.select(Post).order_by(Post.id.desc()))
    assert newest.body_source == "正文" and newest.thread.title == "标题"
    assert session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def _testid_block(page: str, testid: str) -> str | None:
    """The markup of the first element carrying this data-testid, up to its closing tag."""
    found = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', page, re.S)
    return found.group(0) if found else None


def test_a_quote_is_previewed_above_the_reply_box_with_a_link_to_drop_it(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    quoted = make_reply(
        session, world.secretary_a, thread, body="**要点**：学思践悟 <b>&</b> 知行合一"
    )
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/threads/{thread.id}?quote={quoted.id}").get_data(as_text=True)
    preview = _testid_block(page, "quoting")
    assert preview is not None
    assert world.secretary_a.display_name in preview
    # Plain text, escaped once: no Markdown marks, no tags, no double-escaped entity.
    assert "要点：学思践悟 &amp; 知行合一" in preview
    assert "**" not in preview and "<b>" not in preview and "&amp;amp;" not in preview
    assert f'href="/threads/{thread.id}#reply" data-testid="remove-quote"' in preview
    assert f'name="quoted_post_id" type="hidden" value="{quoted.id}"' in page
    # Following the link: the same reply box, nothing quoted.
    plain = auth.client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert _testid_block(plain, "quoting") is None
    assert 'name="quoted_post_id" type="hidden" value=""' in plain


def test_the_quote_preview_stays_when_the_reply_is_refused(session, auth, world):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    quoted = make_reply(session, world.secretary_a, thread, body="坚定理想信念")
    session.commit()
    auth.login("mema")
    response = auth.post(f"/threads/{thread.id}/reply", {"body": "", "quoted_post_id": quoted.id})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "坚定理想信念" in _testid_block(page, "quoting")
    assert f'name="quoted_post_id" type="hidden" value="{quoted.id}"' in page


def test_a_quote_of_a_post_the_member_cannot_see_is_neither_shown_nor_attached(
    session, auth, world
):
    board = make_branch_board(session, world.branch_a)
    thread = make_thread(session, world.member_a, board)
    other = make_thread(session, world.secretary_a, board, title="另一个主题")
    foreign = make_reply(session, world.secretary_a, other, body="别处的回复")
    board.moderation_mode = ModerationMode.HOLD_ALL
    held = make_reply(session, world.member_a, thread, body="待审核的回复")
    assert held.state == PostState.HELD
    session.commit()
    auth.login("mema")
    for post in (foreign, held):
        response = auth.client.get(f"/threads/{thread.id}?quote={post.id}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert _testid_block(page, "quoting") is None, post.body_source
        assert 'name="quoted_post_id" type="hidden" value=""' in page


def test_the_board_list_pairs_the_author_with_the_start_and_shows_the_last_reply(
    session, auth, world
):
    board = make_branch_board(session, world.branch_a)
    started = FIXED_NOW
    replied = FIXED_NOW + timedelta(days=2, hours=3)
    thread = make_thread(session, world.member_a, board, title="有回复的主题", now=started)
    make_reply(session, world.secretary_a, thread, now=replied)
    # A reply still held for review is neither counted nor named as the last one.
    board.moderation_mode = ModerationMode.HOLD_ALL
    make_reply(session, world.member_a, thread, now=replied + timedelta(hours=1))
    board.moderation_mode = ModerationMode.FLAGGED_ONLY
    make_thread(session, world.member_a, board, title="没有回复的主题", now=started)
    session.commit()
    auth.login("mema")
    listing = auth.client.get(f"/boards/{board.id}").get_data(as_text=True)
    rows = listing.split('class="list-group-item list-group-item-action"')[1:]
    answered = next(row for row in rows if "有回复的主题" in row)
    unanswered = next(row for row in rows if "没有回复的主题" in row)
    start = _testid_block(answered, "thread-started")
    assert world.member_a.display_name in start
    assert f'datetime="{started.isoformat()}"' in start
    last = _testid_block(answered, "thread-last-reply")
    assert world.secretary_a.display_name in last
    assert f'datetime="{replied.isoformat()}"' in last
    assert world.member_a.display_name not in last
    assert '<span aria-hidden="true">1</span>' in _testid_block(answered, "reply-count")
    assert world.member_a.display_name in _testid_block(unanswered, "thread-started")
    assert _testid_block(unanswered, "thread-last-reply") is None
