"""Course authoring in a real browser: demo-admin writes a course with a text lesson, previews
the Markdown, publishes the course and finds it published; screenshots at phone and desktop."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot


def test_admin_creates_publishes_and_sees_a_course(new_page):
    page = new_page(PHONE)
    login(page, "demo-admin")
    page.goto("/courses/manage")
    # The synced curriculum is there, published.
    expect(page.get_by_test_id("course-list")).to_contain_text(
        "学习《中国共产党章程》（2022年修订）"
    )
    shot(page, "courses-manage")

    page.get_by_test_id("new-course").click()
    page.fill("input[name=title]", "学习贯彻党的二十届三中全会精神")
    page.fill("textarea[name=summary]", "系统学习全会通过的《决定》的主要内容。")
    page.check("input[name=is_required]")
    page.check("#cat-full")
    page.check("#cat-probationary")
    shot(page, "courses-new")
    page.locator("[data-testid=course-form] button[type=submit]").click()
    expect(page.get_by_test_id("course-title")).to_have_text("学习贯彻党的二十届三中全会精神")

    page.fill("#module-title", "第一章 总体要求")
    page.get_by_test_id("add-module").click()
    page.get_by_test_id("add-lesson").first.click()
    page.fill("input[name=title]", "进一步全面深化改革的总目标")
    page.fill("input[name=length]", "20")
    page.fill(
        "textarea[name=body_source]",
        "## 学习目标\n\n- 掌握总目标的表述\n\n> 引文示例<script>alert(1)</script>\n\n**重点**",
    )
    page.fill(
        "textarea[name=sources]", "《中共中央关于进一步全面深化改革、推进中国式现代化的决定》"
    )
    page.get_by_test_id("preview-tab").click()
    preview = page.get_by_test_id("preview")
    expect(preview.locator("h2")).to_have_text("学习目标")
    expect(preview.locator("strong")).to_have_text("重点")
    expect(preview.locator("script")).to_have_count(0)
    expect(page.locator("[data-hours-suggestion]")).to_contain_text("0.50")
    shot(page, "courses-lesson-preview")
    page.get_by_test_id("save-lesson").click()
    expect(page.get_by_test_id("versions")).to_contain_text("1")
    shot(page, "courses-lesson-edit")

    page.get_by_role("link", name="返回课程").click()
    page.get_by_test_id("state-published").click()
    expect(page.locator(".alert-success")).to_contain_text("课程已发布")
    expect(page.locator("[data-state=published]").first).to_be_visible()
    shot(page, "courses-detail")

    page.goto("/courses/manage?state=published")
    expect(page.get_by_test_id("course-list")).to_contain_text("学习贯彻党的二十届三中全会精神")


def test_authoring_screens_at_desktop_width(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-admin")
    page.goto("/courses/manage")
    expect(page.locator("[data-nav=courses]")).to_have_class(re.compile("active"))
    shot(page, "courses-manage")
    page.get_by_text("学习《中国共产党章程》（2022年修订）").first.click()
    expect(page.get_by_test_id("module")).to_have_count(5)
    shot(page, "courses-detail")
    page.get_by_test_id("lesson-row").first.get_by_role("link").click()
    expect(page.get_by_test_id("lesson-form")).to_be_visible()
    shot(page, "courses-lesson-edit")
    page.goto("/courses/manage/new")
    shot(page, "courses-new")


def test_member_has_no_authoring(new_page):
    page = new_page(PHONE)
    login(page, "demo-member")
    expect(page.locator("[data-nav=courses]")).to_have_count(0)
    response = page.goto("/courses/manage")
    assert response.status == 403


def test_video_lesson_upload_keeps_the_chinese_file_name(new_page, tmp_path):
    page = new_page(PHONE)
    login(page, "demo-admin")
    page.goto("/courses/manage/new")
    page.fill("input[name=title]", "视频课程示例")
    page.locator("[data-testid=course-form] button[type=submit]").click()
    page.fill("#module-title", "第一章")
    page.get_by_test_id("add-module").click()
    page.get_by_test_id("add-lesson").first.click()
    page.fill("input[name=title]", "党章学习视频")
    page.select_option("select[name=kind]", "video")
    page.fill("input[name=length]", "32:10")
    page.get_by_test_id("save-lesson").click()
    expect(page.get_by_test_id("media-card")).to_be_visible()
    video = tmp_path / "党章学习 第一讲.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048)
    page.set_input_files("#media-file", str(video))
    page.get_by_test_id("media-card").locator("button[type=submit]").click()
    expect(page.get_by_test_id("media-link")).to_have_text("党章学习 第一讲.mp4")
    expect(page.locator("input[name=nominal_hours]")).to_have_value("1.00")
    shot(page, "courses-video-lesson")


def test_admin_deletes_an_empty_lesson_then_studied_content_is_kept(new_page):
    admin = new_page(PHONE)
    login(admin, "demo-admin")
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto("/courses/manage/new")
    admin.fill("input[name=title]", "删除课节示例")
    admin.locator("[data-testid=course-form] button[type=submit]").click()
    admin.fill("#module-title", "第一章")
    admin.get_by_test_id("add-module").click()
    for title, kind in (("图文课", "text"), ("视频课", "video")):
        admin.get_by_test_id("add-lesson").first.click()
        admin.fill("input[name=title]", title)
        admin.select_option("select[name=kind]", kind)
        admin.fill("input[name=length]", "10")
        admin.fill("textarea[name=body_source]", "正文" if kind == "text" else "")
        admin.get_by_test_id("save-lesson").click()
        admin.get_by_role("link", name="返回课程").click()
    course_url = admin.url.split("#")[0]
    rows = admin.get_by_test_id("lesson-row")
    expect(rows).to_have_count(2)

    # The empty video lesson blocks publishing; deleting it (after the confirmation) unblocks it.
    admin.get_by_test_id("state-published").click()
    expect(admin.locator(".alert-danger")).to_contain_text("视频课")
    rows.filter(has_text="视频课").get_by_test_id("delete-lesson").click()
    expect(admin.locator(".alert-success")).to_be_visible()
    expect(rows).to_have_count(1)
    admin.get_by_test_id("state-published").click()
    expect(admin.locator("[data-state=published]").first).to_be_visible()
    shot(admin, "courses-lesson-deleted")

    # A member opens the lesson: a study session now refers to it.
    lesson_url = rows.first.get_by_role("link").get_attribute("href")
    lesson_id = re.search(r"/lessons/(\d+)/", lesson_url).group(1)
    member = new_page(PHONE)
    login(member, "demo-member")
    with member.expect_response(re.compile(rf"/study/lessons/{lesson_id}/sessions$")):
        member.goto(f"/study/lessons/{lesson_id}")

    admin.goto(course_url)
    rows.first.get_by_test_id("delete-lesson").click()
    expect(admin.locator(".alert-danger")).to_be_visible()
    expect(rows).to_have_count(1)
    admin.get_by_test_id("delete-module").click()
    expect(admin.locator(".alert-danger")).to_contain_text("图文课")
    admin.get_by_test_id("delete-course").click()
    expect(admin.locator(".alert-danger")).to_be_visible()
    expect(admin.get_by_test_id("course-title")).to_have_text("删除课节示例")
    shot(admin, "courses-delete-refused")
