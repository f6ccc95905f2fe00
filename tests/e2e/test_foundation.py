"""The shell in a real browser: each demo role logs in, sees its navigation, switches language,
and a secretary meets a 404 outside their branch."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot


def test_login_page_is_chinese_by_default(page):
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("党员理论学习")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, "login")


def test_wrong_password_shows_one_clear_message(page):
    page.goto("/login")
    page.fill("input[name=username]", "demo-member")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("form-error")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize(
    ("username", "sees_orgs", "sees_admin"),
    [("demo-member", False, False), ("demo-secretary", True, False), ("demo-admin", True, True)],
)
def test_each_demo_role_sees_its_navigation(new_page, username, sees_orgs, sees_admin):
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport)
        login(page, username)
        if viewport is PHONE:
            page.click(".navbar-toggler")
        nav = page.get_by_test_id("main-nav")
        expect(nav.locator("[data-nav=orgs]")).to_have_count(1 if sees_orgs else 0)
        expect(nav.locator("[data-nav=admin]")).to_have_count(1 if sees_admin else 0)
        shot(page, f"home-{username}")


def test_a_phone_shows_the_unread_count_without_opening_the_menu(new_page):
    page = new_page(PHONE)
    login(page, "demo-member")
    bell = page.get_by_test_id("notifications-bell")
    expect(bell).to_be_visible()
    expect(page.get_by_test_id("notifications-link")).to_be_hidden()  # in the collapsed menu
    expect(bell.get_by_test_id("unread-badge-compact")).to_have_text(re.compile(r"^\d+$"))
    shot(page, "navbar-bell")
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    desktop = new_page(DESKTOP)
    login(desktop, "demo-member")
    expect(desktop.get_by_test_id("notifications-bell")).to_be_hidden()
    expect(desktop.get_by_test_id("unread-badge")).to_be_visible()


def test_language_switch_is_remembered_for_the_user(new_page):
    page = new_page(PHONE)
    login(page, "demo-member")
    page.select_option("#locale-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("My study", exact=True)).to_be_visible()
    # A new browser (no language cookie) gets English once the same person logs in.
    other = new_page(DESKTOP)
    login(other, "demo-member")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    shot(other, "home-english")
    other.select_option("#locale-select", "zh_Hans")
    expect(other.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_secretary_gets_404_for_a_member_of_another_branch(new_page):
    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto("/units")
    admin.get_by_role("link", name=re.compile("第二研究室党支部")).click()
    admin.get_by_test_id("member-table").locator("tbody a").first.click()
    foreign_member_url = admin.url
    assert re.search(r"/members/\d+$", foreign_member_url)

    secretary = new_page(PHONE)
    login(secretary, "demo-secretary")
    response = secretary.goto(foreign_member_url)
    assert response.status == 404
    expect(secretary.locator("h1")).to_contain_text("页面不存在")
    shot(secretary, "not-found")
    secretary.goto("/units")
    shot(secretary, "units-secretary")


def test_secretary_manages_their_branch(new_page):
    page = new_page(DESKTOP)
    login(page, "demo-secretary")
    page.goto("/units")
    page.get_by_test_id("unit-tree").locator("a").first.click()
    expect(page.get_by_test_id("member-table").locator("tbody tr")).not_to_have_count(0)
    shot(page, "unit-detail")
    page.get_by_role("link", name="批量导入成员").click()
    shot(page, "member-import")
