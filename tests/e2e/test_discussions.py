"""Discussions in a real browser: a member posts in the branch board, a post with a blocked term
is held until the secretary approves it, another branch's member meets a 404, and §6.1 payloads
run nothing."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.discussions.test_views import XSS
from tests.e2e.conftest import DESKTOP, PHONE, login, reset_and_login, shot

BRANCH = "机关第一党支部"
# Payloads that set window.__xss if they ever ran, beside every vector of security.md §6.1
# (XSS, whose handlers call alert: any dialog fails the test).
OWN_PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(1)">',
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>svg-link</text></a></svg>',
    '<a href="javascript:window.__xss=1">js-link</a>',
    '<a href="java&#x09;script:alert(1)">tab-link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data-link</a>',
    '<details open ontoggle="window.__xss=1">toggle</details>',
    '<p onmouseover="window.__xss=1" onclick="window.__xss=1">hover-me</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:white">overlay</span>',
    "[md-link](javascript:alert(1))",
    '![a](x" onerror="alert(1))',
    "{{constructor.constructor('alert(1)')()}}",
]
PAYLOADS = OWN_PAYLOADS + [vector for vector in XSS if vector not in OWN_PAYLOADS]
ACTIVE = (
    ".post-body script, .post-body svg, .post-body math, .post-body iframe, .post-body style,"
    " .post-body [onerror], .post-body [onload], .post-body [onclick], .post-body [onmouseover],"
    " .post-body [ontoggle], .post-body [style], .post-body a[href^='javascript'],"
    " .post-body a[href^='data'], .thread-title *"
)


def shots(page, name) -> None:
    """Screenshots at both widths, leaving the page at the width it had."""
    width = page.viewport_size
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        shot(page, name)
    page.set_viewport_size(width)


def branch_board_url(page) -> str:
    page.goto("/boards")
    page.get_by_test_id("board-list").get_by_role("link", name=re.compile(BRANCH)).click()
    expect(page.get_by_test_id("board-name")).to_contain_text(BRANCH)
    return page.url


def new_thread(page, board_url, title, body):
    page.goto(board_url)
    page.get_by_test_id("new-thread").click()
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", body)
    page.get_by_test_id("thread-submit").click()
    expect(page.get_by_test_id("thread-title")).to_be_visible()


def test_member_posts_a_held_post_is_approved_by_the_secretary(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    board_url = branch_board_url(member)
    shots(member, "discussions-board")

    new_thread(member, board_url, "学习党章的一点体会", "重温党史，收获很大。@王建国 书记请指正。")
    expect(member.get_by_test_id("post")).to_have_count(1)
    expect(member.get_by_test_id("held-notice")).to_have_count(0)
    shots(member, "discussions-thread")
    member.goto(board_url)
    expect(member.get_by_test_id("thread-list")).to_contain_text("学习党章的一点体会")

    new_thread(member, board_url, "提醒大家", "群里有人发赌 博 网 站的链接，大家别点。")
    expect(member.get_by_test_id("held-notice")).to_be_visible()
    shots(member, "discussions-held")
    held_url = member.url
    member.goto(board_url)  # a held thread is not listed, even for its author
    expect(member.get_by_test_id("thread-list")).not_to_contain_text("提醒大家")

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/")
    secretary.get_by_test_id("home-inbox").get_by_test_id("inbox-moderation").click()
    expect(secretary.get_by_test_id("queue-item")).to_have_count(2)  # the demo's held post too
    shots(secretary, "discussions-queue")
    secretary.get_by_test_id("queue-item").filter(has_text="提醒大家").click()
    expect(secretary.get_by_test_id("highlighted").locator("mark")).to_have_text("赌 博 网 站")
    shots(secretary, "discussions-review")
    secretary.get_by_label("发布").check()
    secretary.select_option("select[name=reason]", "false_positive")
    secretary.fill("input[name=note]", "提醒同志防范，内容正常")
    secretary.get_by_test_id("decide").click()
    expect(secretary.get_by_test_id("queue-item")).to_have_count(1)

    member.goto(held_url)
    expect(member.get_by_test_id("held-notice")).to_have_count(0)
    expect(member.get_by_test_id("unread-badge")).to_be_attached()
    member.goto(board_url)
    expect(member.get_by_test_id("thread-list")).to_contain_text("提醒大家")
    member.goto("/notifications")
    notices = member.get_by_test_id("notification-list")
    expect(notices).to_contain_text("您在“提醒大家”中的帖子已发布")
    shots(member, "discussions-notifications")
    # The same notification follows the member's language, both ways.
    try:
        member.select_option("#locale-select", "en")
        expect(member.locator("html")).to_have_attribute("lang", "en")
        member.wait_for_load_state()
        expect(notices).to_contain_text("Your post in “提醒大家” has been published")
    finally:
        member.select_option("#locale-select", "zh_Hans")
        expect(member.locator("html")).to_have_attribute("lang", "zh-Hans")
        member.wait_for_load_state()
    expect(notices).to_contain_text("您在“提醒大家”中的帖子已发布")


def test_a_member_of_another_branch_gets_404_for_the_branch_board(new_page):
    member = new_page(DESKTOP)
    login(member, "demo-member")
    board_url = branch_board_url(member)

    outsider = reset_and_login(new_page, "dy020", PHONE)
    response = outsider.goto(board_url)
    assert response.status == 404
    shots(outsider, "discussions-other-branch-404")
    outsider.goto("/boards")
    expect(outsider.get_by_test_id("board-list")).not_to_contain_text(BRANCH)
    shots(outsider, "discussions-other-branch")


def watch(page) -> list:
    """The messages of dialogs the page opens (an alert() that ran); each is dismissed."""
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def poke(page) -> None:
    """Hover over and click everything a post shows but links (which would navigate away):
    a handler that survived would fire."""
    for target in page.locator(".post-body *:not(a):not(a *)").all()[:80]:
        if target.is_visible():
            target.hover()
            target.dispatch_event("click")


def assert_nothing_ran(page, dialogs) -> None:
    page.wait_for_timeout(150)
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator(ACTIVE).count() == 0


def test_every_xss_vector_in_a_title_and_a_body_runs_nothing(new_page):
    member = new_page(PHONE)
    member_dialogs = watch(member)
    login(member, "demo-member")
    board_url = branch_board_url(member)
    # With a blocked term, so that the thread waits for the secretary whatever else it trips.
    new_thread(member, board_url, PAYLOADS[0], "\n\n".join(["赌博网站", *PAYLOADS]))
    expect(member.get_by_test_id("held-notice")).to_be_visible()
    thread_url = member.url
    poke(member)
    assert_nothing_ran(member, member_dialogs)
    shot(member, "discussions-xss-body")
    opening = member.get_by_test_id("post").first
    edit_url = opening.get_by_role("link", name="编辑").get_attribute("href")
    post_id = int(re.search(r"/posts/(\d+)/edit", edit_url).group(1))
    # Each vector alone as the title and as the body (a raw-text element such as <style> left
    # open swallows whatever follows it, so one body with all of them would hide the later
    # ones). Edits within the window: no flood limit in the way. Visible words lead each body:
    # one the cleaner would empty entirely is refused as empty, not stored.
    for vector in PAYLOADS:
        member.goto(edit_url)
        member.fill("input[name=title]", vector[:120])
        member.fill("textarea[name=body]", f"正文 {vector}")
        member.get_by_test_id("edit-submit").click()
        expect(member.get_by_test_id("thread-title")).to_contain_text(
            " ".join(vector[:120].split())
        )
        poke(member)
        assert_nothing_ran(member, member_dialogs)
    shot(member, "discussions-xss-title")

    secretary = new_page(DESKTOP)
    secretary_dialogs = watch(secretary)
    login(secretary, "demo-secretary")
    secretary.goto("/moderation")
    assert_nothing_ran(secretary, secretary_dialogs)
    secretary.goto(f"/moderation/posts/{post_id}")
    expect(secretary.get_by_test_id("highlighted")).to_contain_text("<script>alert(1)</script>")
    assert_nothing_ran(secretary, secretary_dialogs)
    shots(secretary, "discussions-xss-review")
    secretary.get_by_label("发布").check()
    secretary.select_option("select[name=reason]", "fine")
    secretary.get_by_test_id("decide").click()
    expect(secretary.get_by_test_id("queue")).to_be_visible()

    # Published: the board's list, the thread, a quote of it and a reply carrying it all again.
    secretary.goto(board_url)
    assert_nothing_ran(secretary, secretary_dialogs)
    secretary.goto(thread_url)
    quote_link = secretary.get_by_test_id("post").first.get_by_role("link", name="引用")
    quote_link.click()
    # The quote is previewed (as escaped text) above the box and can be dropped without script.
    expect(secretary.get_by_test_id("quoting")).to_be_visible()
    assert_nothing_ran(secretary, secretary_dialogs)
    secretary.get_by_test_id("remove-quote").click()
    expect(secretary.get_by_test_id("quoting")).to_have_count(0)
    assert "quote=" not in secretary.url
    quote_link.click()
    expect(secretary.get_by_test_id("quoting")).to_be_visible()
    secretary.fill("textarea[name=body]", "\n\n".join(PAYLOADS))
    secretary.get_by_test_id("reply-submit").click()
    expect(secretary.get_by_test_id("post")).to_have_count(2)
    expect(secretary.get_by_test_id("quote")).to_be_visible()
    poke(secretary)
    assert_nothing_ran(secretary, secretary_dialogs)
    shots(secretary, "discussions-xss-thread")
    for url in (board_url, thread_url, "/notifications"):
        member.goto(url)
        assert_nothing_ran(member, member_dialogs)
    # The board's list names who started the thread and, apart from it, who replied last.
    member.goto(board_url)
    expect(member.get_by_test_id("thread-last-reply").first).to_be_visible()


def test_an_announcement_reaches_the_home_page_and_the_author_sees_who_read_it(new_page):
    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/announcements/new")
    option = secretary.locator("select[name=unit_id] option", has_text=BRANCH).first
    secretary.select_option("select[name=unit_id]", option.get_attribute("value"))
    secretary.fill("input[name=title]", "关于缴纳党费的通知")
    secretary.fill("textarea[name=body]", "请各位同志本周内**按时缴纳**党费。")
    shot(secretary, "discussions-announcement-form")
    secretary.get_by_test_id("publish").click()
    expect(secretary.get_by_test_id("announcement-title")).to_have_text("关于缴纳党费的通知")
    announcement_url = secretary.url

    member = new_page(PHONE)
    login(member, "demo-member")
    member.goto("/")
    home = member.get_by_test_id("home-announcements")
    row = home.get_by_role("link", name=re.compile("关于缴纳党费的通知"))
    expect(row).to_contain_text("新")  # not read yet
    shots(member, "discussions-home-announcements")
    row.click()
    expect(member.locator(".post-body strong")).to_have_text("按时缴纳")
    shots(member, "discussions-announcement")
    member.goto("/")
    expect(row).not_to_contain_text("新")

    secretary.goto(announcement_url)
    secretary.get_by_test_id("receipts-link").click()
    expect(secretary.get_by_test_id("readers")).to_contain_text("李晓燕")
    shot(secretary, "discussions-receipts")
    secretary.set_viewport_size(PHONE)
    shot(secretary, "discussions-receipts")


def test_the_secretary_reminds_those_who_have_not_read_and_exports_the_receipts(new_page):
    title = "关于参加主题党日活动的通知"
    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/announcements/new")
    option = secretary.locator("select[name=unit_id] option", has_text=BRANCH).first
    secretary.select_option("select[name=unit_id]", option.get_attribute("value"))
    secretary.fill("input[name=title]", title)
    secretary.fill("textarea[name=body]", "本周五下午在三楼会议室开展主题党日活动。")
    secretary.get_by_test_id("publish").click()
    secretary.get_by_test_id("receipts-link").click()
    receipts_url = secretary.url

    with secretary.expect_download() as download_info:
        secretary.get_by_test_id("export-receipts").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    assert "李晓燕" in Path(download.path()).read_text(encoding="utf-8-sig")

    secretary.once("dialog", lambda dialog: dialog.accept())
    secretary.get_by_test_id("remind-unread").click()
    expect(secretary.locator(".alert-success")).to_be_visible()
    expect(secretary.get_by_test_id("reminded-today")).to_be_visible()
    expect(secretary.get_by_test_id("remind-unread")).to_have_count(0)
    shot(secretary, "discussions-receipts-reminded")

    member = new_page(PHONE)
    login(member, "demo-member")
    member.goto("/notifications")
    about = member.get_by_test_id("notification-list").locator(".notification-item", has_text=title)
    expect(about).to_have_count(2)  # the announcement, then the reminder
    shot(member, "discussions-reminder-notification")
    about.first.locator("button").click()
    expect(member.get_by_test_id("announcement-title")).to_have_text(title)
    member.goto("/notifications")
    expect(about.locator(".badge")).to_have_count(0)  # reading it settles both

    secretary.goto(receipts_url)
    expect(secretary.get_by_test_id("readers")).to_contain_text("李晓燕")


def test_a_report_is_decided_from_the_queue_and_the_reporter_hears_back(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    board_url = branch_board_url(member)
    member.goto(board_url)
    member.get_by_test_id("thread-list").get_by_role("link", name=re.compile("总纲")).click()
    # A reply sent empty comes back at the reply box, focused, with the reason beside it.
    member.get_by_test_id("reply-submit").click()
    box = member.locator("textarea[name=body]")
    expect(box).to_be_in_viewport()
    # The element focus, not the window's (another test's page may hold that).
    member.wait_for_load_state()
    assert member.evaluate("document.activeElement.name") == "body"
    expect(member.locator("#reply .invalid-feedback")).to_be_in_viewport()
    shot(member, "discussions-reply-refused")
    # On a phone each action under a post is a touch target at least 44 px each way; on a
    # desktop they stay small text links.
    others = member.get_by_test_id("post").filter(has=member.get_by_test_id("report-link"))
    actions = [others.first.get_by_test_id(name) for name in ("like", "quote-link", "report-link")]
    for action in actions:
        size = action.bounding_box()
        assert size["height"] >= 44 and size["width"] >= 44, size
    member.set_viewport_size(DESKTOP)
    assert all(action.bounding_box()["height"] < 30 for action in actions)
    member.set_viewport_size(PHONE)
    post = member.get_by_test_id("post").filter(has_text="四个意识")
    post.get_by_test_id("like").click()
    post = member.get_by_test_id("post").filter(has_text="四个意识")
    expect(post.get_by_test_id("like")).to_have_attribute("aria-pressed", "true")
    shot(member, "discussions-thread-liked")
    post.get_by_role("link", name="举报").click()
    member.select_option("select[name=reason]", "off_topic")
    member.fill("input[name=note]", "与学习无关")
    shot(member, "discussions-report")
    member.get_by_test_id("report-submit").click()
    expect(member.locator(".alert-success")).to_be_visible()
    # Reported: the post says so instead of offering the form again.
    post = member.get_by_test_id("post").filter(has_text="四个意识")
    expect(post.get_by_test_id("reported")).to_be_visible()
    expect(post.get_by_test_id("report-link")).to_have_count(0)

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/moderation")
    secretary.get_by_test_id("queue-item").filter(has_text="四个意识").click()
    expect(secretary.get_by_test_id("review-post")).to_contain_text("四个意识")
    expect(secretary.locator("body")).to_contain_text("与学习无关")
    secretary.get_by_label("发布").check()
    secretary.select_option("select[name=reason]", "fine")
    secretary.get_by_test_id("decide").click()
    expect(secretary.get_by_test_id("queue")).not_to_contain_text("四个意识")

    member.goto("/notifications")
    expect(member.get_by_test_id("notification-list")).to_contain_text("举报")
    shot(member, "discussions-report-outcome")


def test_a_term_added_in_the_word_lists_holds_the_next_post_at_once(new_page):
    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto("/admin/words")
    category = admin.get_by_test_id("category").filter(has_text="广告与诈骗")
    category.locator("textarea").fill("炒股群")
    category.locator("form:has(textarea) button[type=submit]").click()
    expect(admin.get_by_test_id("category").filter(has_text="广告与诈骗")).to_contain_text("炒股群")
    shot(admin, "discussions-words")
    admin.set_viewport_size(PHONE)
    shot(admin, "discussions-words")

    member = new_page(PHONE)
    login(member, "demo-member")
    board_url = branch_board_url(member)
    new_thread(member, board_url, "股票交流", "有人拉我进炒-股-群，说能稳赚，大家小心。")
    expect(member.get_by_test_id("held-notice")).to_be_visible()
    expect(member.get_by_test_id("held-notice")).not_to_contain_text("new member")


def test_complaints_reach_the_administrators_and_the_member_reads_the_reply(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    member.goto("/feedback")
    member.fill("input[name=subject]", "建议增加音频党课")
    member.fill("textarea[name=body]", "通勤时间可以听党课，希望增加音频版本。")
    member.get_by_test_id("feedback-submit").click()
    expect(member.get_by_test_id("message")).to_have_count(1)
    complaint_url = member.url

    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto("/admin/feedback")
    admin.get_by_role("link", name=re.compile("建议增加音频党课")).click()
    admin.fill("textarea[name=body]", "感谢建议，下月上线音频版本。")
    admin.get_by_test_id("message-submit").click()
    expect(admin.get_by_test_id("message")).to_have_count(2)
    shot(admin, "discussions-feedback-admin")

    member.goto(complaint_url)
    expect(member.get_by_test_id("message").last).to_contain_text("下月上线音频版本")
    shot(member, "discussions-feedback")


def test_a_member_follows_the_board_and_mutes_reply_notifications(new_page):
    member = new_page(PHONE)
    login(member, "demo-member")
    member.goto(branch_board_url(member))
    follow = member.get_by_test_id("follow-board")
    expect(follow).to_have_text("关注")
    follow.click()
    expect(member.get_by_test_id("follow-board")).to_have_text("取消关注")
    shot(member, "discussions-board-followed")
    member.goto("/notifications")
    member.get_by_test_id("notification-settings-link").click()
    reply_box = member.locator("input[value=reply]")
    expect(reply_box).to_be_checked()
    reply_box.uncheck()
    member.get_by_test_id("save-settings").click()
    expect(member.locator("input[value=reply]")).not_to_be_checked()
    expect(member.locator("input[value=mention]")).to_be_checked()
    shot(member, "discussions-notification-settings")
