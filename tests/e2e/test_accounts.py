"""Accounts in a real browser: a member logs in with the password an admin reset, is made to
choose their own before anything else opens, then reaches the home page; an admin issues
initial passwords to imported members as a sheet downloaded once."""

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, change_password, login, shot


def _reset(admin, username: str) -> str:
    admin.goto(f"/admin/users?q={username}")
    admin.wait_for_load_state("load")
    admin.locator("table a").first.click()
    admin.wait_for_load_state("load")
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=re.compile("重置密码")).click()
    admin.wait_for_load_state("load")
    flash = admin.locator(".alert-warning").first.inner_text()
    return re.search(r"[:：]\s*(\S+)\s*$", flash.strip()).group(1)


def test_a_reset_password_must_be_replaced_before_the_home_page(new_page):
    admin = new_page(PHONE)
    login(admin, "demo-admin")
    password = _reset(admin, "dy005")

    member = new_page(PHONE)
    login(member, "dy005", password)
    expect(member).to_have_url(re.compile(r"/profile/password$"))
    expect(member.get_by_test_id("must-change-password")).to_be_visible()
    shot(member, "password-forced")

    member.goto("/study/me")
    member.wait_for_load_state("load")
    expect(member).to_have_url(re.compile(r"/profile/password\?next="))

    member.fill("input[name=current_password]", password)
    member.fill("input[name=new_password]", "password123")
    member.fill("input[name=confirm]", "password123")
    member.click("main button[type=submit]")
    member.wait_for_load_state("load")
    expect(member.locator(".invalid-feedback")).to_contain_text("过于常见")
    shot(member, "password-forced-refused")

    change_password(member, password, "my own study phrase")
    expect(member).to_have_url(re.compile(r"/study/me$"))
    member.goto("/")
    member.wait_for_load_state("load")
    expect(member).to_have_url(re.compile(r"/$"))
    expect(member.locator("main h1")).to_contain_text("您好")
    shot(member, "home-after-password")


def test_an_admin_issues_initial_passwords_as_a_download(new_page, tmp_path):
    admin = new_page(PHONE)
    login(admin, "demo-admin")
    admin.goto("/admin/users")
    admin.wait_for_load_state("load")
    admin.get_by_test_id("initial-passwords-link").click()
    admin.wait_for_load_state("load")
    table = admin.get_by_test_id("awaiting-table")
    for username in ("dy040", "dy041"):
        table.locator("tr", has_text=username).locator("input[type=checkbox]").check()
    shot(admin, "initial-passwords")
    admin.on("dialog", lambda dialog: dialog.accept())
    with admin.expect_download() as download_info:
        admin.get_by_test_id("issue-passwords").click()
    saved = tmp_path / "passwords.xlsx"
    download_info.value.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    passwords = {row[1]: row[3] for row in rows[1:]}
    assert set(passwords) == {"dy040", "dy041"}

    member = new_page(PHONE)
    login(member, "dy040", passwords["dy040"])
    expect(member).to_have_url(re.compile(r"/profile/password$"))
    change_password(member, passwords["dy040"], "a member chose this one")
    expect(member).to_have_url(re.compile(r"/$"))
