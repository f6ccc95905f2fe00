"""The audit log in a real browser: an administrator creates an account with a generated
password, finds its one entry by part of their own user name, reads its details by their
labels, and is told when the date range they typed ends before it starts."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, login, shot


def test_an_admin_finds_an_account_creation_and_reads_it_by_labels(new_page):
    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto("/admin/users/new")
    admin.fill("input[name=username]", "e2e-audit-new")
    admin.fill("input[name=display_name]", "审计新同志")
    admin.locator("select[name=unit_id] option").nth(1).wait_for(state="attached")
    unit = admin.locator("select[name=unit_id] option").nth(1).get_attribute("value")
    admin.select_option("select[name=unit_id]", unit)
    admin.select_option("select[name=category]", "activist")
    admin.click("main button[type=submit]")
    admin.wait_for_load_state("load")
    expect(admin.locator(".alert-warning")).to_contain_text("e2e-audit-new")

    admin.goto("/admin/audit")
    admin.fill("input[name=who]", "DEMO-AD")
    admin.select_option("select[name=action]", label="创建账号")
    admin.click("main form[method=get] button[type=submit]")
    admin.wait_for_load_state("load")
    row = admin.get_by_test_id("audit-table").locator("tbody tr", has_text="审计新同志")
    expect(row).to_have_count(1)
    row.locator("summary").click()
    details = row.locator("pre.audit-json")
    expect(details).to_contain_text("入党积极分子")
    expect(details).to_contain_text("正常")
    expect(details).not_to_contain_text("activist")
    shot(admin, "audit-labels")

    admin.goto("/admin/audit?action=user.password_reset")
    table = admin.get_by_test_id("audit-table")
    expect(table.locator("tbody tr", has_text="审计新同志")).to_have_count(0)

    admin.goto("/admin/audit")
    admin.fill("#audit-since", "2026-03-20")
    admin.fill("#audit-until", "2026-03-01")
    admin.click("main form[method=get] button[type=submit]")
    admin.wait_for_load_state("load")
    expect(admin).to_have_url(re.compile(r"since=2026-03-20"))
    expect(admin.get_by_test_id("audit-range-problem")).to_be_visible()
    expect(admin.get_by_test_id("audit-range-problem")).to_contain_text("结束日期早于开始日期")
    expect(admin.get_by_test_id("audit-target")).to_have_count(0)
    shot(admin, "audit-reversed-range")
