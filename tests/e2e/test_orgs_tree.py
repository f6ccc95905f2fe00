"""An admin on a phone reshapes the tree: moves a 党支部 with its member and party group to
another 党总支, then deletes the group once it is empty."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import login, shot


def _open_unit(page, name: str) -> None:
    page.goto("/units")
    page.wait_for_load_state("load")
    page.get_by_test_id("unit-tree").get_by_role("link", name=re.compile(name)).first.click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text(name)


def _add_sub_unit(page, name: str, kind_label: str) -> None:
    page.get_by_role("link", name="添加下级组织").click()
    page.wait_for_load_state("load")
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", label=kind_label)
    page.click(".card button[type=submit]")
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text(name)


def test_an_admin_moves_a_branch_to_another_general_branch_and_deletes_an_empty_unit(page):
    login(page, "demo-admin")
    _open_unit(page, "机关党总支")
    _add_sub_unit(page, "迁移测试党支部", "党支部")
    branch_url = page.url
    _add_sub_unit(page, "迁移测试党小组", "党小组")
    group_url = page.url

    page.goto(branch_url)
    page.wait_for_load_state("load")
    page.get_by_role("link", name="添加成员").click()
    page.wait_for_load_state("load")
    page.fill("input[name=username]", "e2e-move-member")
    page.fill("input[name=display_name]", "迁移测试成员")
    page.click(".card button[type=submit]")
    page.wait_for_load_state("load")

    page.goto(branch_url)
    page.wait_for_load_state("load")
    page.get_by_test_id("unit-move").click()
    page.wait_for_load_state("load")
    # The branch, its group and its one member go together.
    expect(page.get_by_test_id("move-size")).to_contain_text("其下1个组织和1名成员")
    target = page.get_by_test_id("move-target")
    expect(target.locator("option", has_text="科研党总支")).to_have_count(1)
    expect(target.locator("option", has_text="机关党总支")).to_have_count(0)
    target.select_option(label="明德研究院党委 › 科研党总支")
    shot(page, "unit-move")
    page.get_by_test_id("move-confirm").click()
    page.wait_for_url(branch_url)
    page.wait_for_load_state("load")
    expect(page.locator(".alert-success")).to_contain_text("科研党总支")
    expect(page.locator(".breadcrumb")).to_contain_text("科研党总支")
    expect(page.locator(".breadcrumb")).not_to_contain_text("机关党总支")
    shot(page, "unit-moved")

    _open_unit(page, "科研党总支")
    expect(page.get_by_role("link", name=re.compile("迁移测试党支部"))).to_be_visible()
    _open_unit(page, "机关党总支")
    expect(page.get_by_role("link", name=re.compile("迁移测试党支部"))).to_have_count(0)

    # The branch has a member: deleting it is refused, and deactivation waits until the member
    # has been moved out.
    page.goto(branch_url)
    page.wait_for_load_state("load")
    page.get_by_test_id("unit-delete").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("delete-blockers")).to_be_visible()
    expect(page.get_by_test_id("delete-confirm")).to_have_count(0)
    expect(page.get_by_test_id("deactivate-blocked")).to_contain_text("仍有 1 名在册成员")
    expect(page.get_by_test_id("unit-deactivate-disabled")).to_be_disabled()
    shot(page, "unit-delete-refused")

    # The party group moved with it and is empty: it can go.
    page.goto(group_url)
    page.wait_for_load_state("load")
    expect(page.locator(".breadcrumb")).to_contain_text("科研党总支")
    page.get_by_test_id("unit-delete").click()
    page.wait_for_load_state("load")
    shot(page, "unit-delete")
    page.get_by_test_id("delete-confirm").click()
    page.wait_for_url(branch_url)
    page.wait_for_load_state("load")
    expect(page.locator(".alert-success")).to_contain_text("迁移测试党小组")
    expect(page.get_by_role("link", name=re.compile("迁移测试党小组"))).to_have_count(0)
    shot(page, "unit-deleted")
