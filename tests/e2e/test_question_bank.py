"""The question bank in a real browser: an editor writes a single-choice question and sends it
to review, a reviewer (demo-admin) approves it, and the preview shows it as a member will see it
with the key kept apart."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login, shot

STEM = "端到端：党的基层组织中，设立党的基层委员会需要多少名正式党员以上？"


def test_editor_writes_reviewer_approves_and_previews(new_page):
    editor = new_page(PHONE)
    login(editor, "demo-editor")
    editor.click(".navbar-toggler")
    editor.locator("[data-nav=question-bank]").click()
    # The page's own load, not the 5 s of an expectation: a loaded machine takes longer.
    editor.wait_for_url("**/bank/**")
    expect(editor.get_by_test_id("question-table")).to_be_visible()
    shot(editor, "bank-list-editor")
    editor.get_by_test_id("new-question").click()
    editor.locator("[data-type=single]").click()
    editor.fill("textarea[name=stem]", STEM)
    editor.fill("input[name=options-0]", "三名")
    editor.fill("input[name=options-1]", "五十名")
    editor.fill("input[name=options-2]", "一百名")
    editor.check("#answer-C")
    editor.fill("input[name=knowledge_point]", "党章 › 第五章 党的基层组织")
    editor.fill("input[name=source_document]", "《中国共产党章程》第三十条")
    editor.fill("input[name=source_version]", "2022-10-22")
    editor.fill("input[name=tags]", "基层组织")
    shot(editor, "bank-question-form")
    editor.get_by_test_id("save-question").click()
    expect(editor.get_by_test_id("stem")).to_have_text(STEM)
    editor.get_by_test_id("submit-review").click()
    expect(editor.locator("[data-status=in_review]")).to_be_visible()
    # The editor may not approve: the button is not there.
    expect(editor.get_by_test_id("approve")).to_have_count(0)
    question_url = editor.url

    reviewer = new_page(DESKTOP)
    login(reviewer, "demo-admin")
    reviewer.goto("/bank/")
    reviewer.locator("[data-testid=bank-list] a").first.click()
    reviewer.get_by_test_id("review-queue-link").click()
    expect(reviewer.get_by_test_id("review-list")).to_contain_text("端到端")
    shot(reviewer, "bank-review-queue")
    reviewer.goto(question_url)
    reviewer.get_by_test_id("approve").click()
    expect(reviewer.locator("[data-status=active]")).to_be_visible()
    shot(reviewer, "bank-question-detail")

    for page in (reviewer, editor):
        page.goto(question_url)
        page.get_by_test_id("preview-link").click()
        preview = page.get_by_test_id("member-preview")
        expect(preview).to_contain_text(STEM)
        expect(preview.locator("input[type=radio]")).to_have_count(3)
        expect(page.get_by_test_id("answer-key")).to_have_count(0)
        preview.locator("label", has_text="一百名").click()
        shot(page, "bank-preview")
        page.get_by_test_id("show-key").click()
        expect(page.get_by_test_id("answer-key")).to_contain_text("一百名")
        shot(page, "bank-preview-key")


def test_bank_list_search_finds_chinese_substrings(new_page):
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport)
        login(page, "demo-editor")
        page.goto("/bank/")
        search = page.locator("[data-testid=question-filters] input[name=q]")
        search.fill("预备期内享有表决")
        search.press("Enter")
        expect(page.get_by_test_id("question-total")).to_have_text("1")
        expect(page.get_by_test_id("question-table")).to_contain_text("演示题")
        shot(page, "bank-search")


def test_bulk_tagging_and_a_superseded_source_flag_questions(new_page):
    editor = new_page(DESKTOP)
    login(editor, "demo-editor")
    editor.goto("/bank/")
    search = editor.locator("[data-testid=question-filters] input[name=q]")
    search.fill("演示题")
    search.press("Enter")
    expect(editor.get_by_test_id("question-total")).to_have_text("5")
    # Select-all is wired by the script at the end of the page: wait until it has run.
    editor.wait_for_load_state("load")
    editor.check("[data-check-all]")
    expect(editor.locator('input[name="ids"]:checked')).to_have_count(5)
    editor.select_option("#bulk-action", "tag")
    editor.fill("#bulk-target", "端到端批量")
    shot(editor, "bank-bulk")
    editor.get_by_test_id("bulk-form").locator("button[type=submit]").click()
    expect(editor.locator(".alert-success")).to_contain_text("5")
    tag = editor.locator("select[name=tag] option", has_text="端到端批量")
    editor.select_option("select[name=tag]", tag.get_attribute("value"))
    editor.fill("[data-testid=question-filters] input[name=q]", "")
    editor.locator("[data-testid=question-filters] button[type=submit]").click()
    expect(editor.get_by_test_id("question-total")).to_have_text("5")

    editor.get_by_test_id("new-question").click()
    editor.locator("[data-type=judge]").click()
    editor.fill("textarea[name=stem]", "端到端：演练规定要求每月报送一次。")
    editor.check("input[name=answer][value=true]")
    editor.fill("input[name=source_document]", "《端到端演练规定》第一条")
    editor.fill("input[name=source_version]", "2020-01-01")
    editor.get_by_test_id("save-question").click()
    question_url = editor.url

    admin = new_page(PHONE)
    login(admin, "demo-admin")
    admin.goto("/bank/sources")
    row = admin.get_by_test_id("source-table").locator("tr", has_text="端到端演练规定")
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[type=submit]").click()
    expect(
        admin.get_by_test_id("source-table").locator("tr", has_text="端到端演练规定")
    ).to_contain_text("2020-01-01")
    shot(admin, "bank-sources")
    admin.goto(question_url)
    expect(admin.get_by_test_id("status-reason")).to_contain_text("端到端演练规定")
    shot(admin, "bank-flagged-question")


def test_a_misspelt_knowledge_point_is_renamed_then_removed(new_page):
    phone = new_page(PHONE)
    login(phone, "demo-editor")
    phone.goto("/bank/")
    phone.get_by_test_id("new-question").click()
    phone.locator("[data-type=judge]").click()
    phone.fill("textarea[name=stem]", "端到端：知识点改名演练。")
    phone.check("input[name=answer][value=true]")
    phone.fill("input[name=knowledge_point]", "端到端演练/第一张")
    phone.get_by_test_id("save-question").click()
    phone.goto("/bank/")
    phone.get_by_test_id("knowledge-points-link").click()
    typo = phone.get_by_test_id("knowledge-point").filter(
        has=phone.locator(".kp-name", has_text=re.compile(r"^第一张$"))
    )
    typo.locator("summary").click()
    typo.locator("input[name=name]").fill("第一章")
    typo.locator(".kp-rename button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_contain_text("端到端演练 › 第一章")
    shot(phone, "bank-knowledge-points")

    # The question moves on; the emptied node can then be removed.
    desktop = new_page(DESKTOP)
    login(desktop, "demo-editor")
    desktop.goto("/bank/")
    desktop.fill("[data-testid=question-filters] input[name=q]", "知识点改名演练")
    desktop.press("[data-testid=question-filters] input[name=q]", "Enter")
    expect(desktop.get_by_test_id("question-total")).to_have_text("1")
    desktop.wait_for_load_state("load")  # the select-all box works once the page's script runs
    desktop.check("[data-check-all]")
    desktop.select_option("#bulk-action", "move")
    desktop.fill("#bulk-target", "端到端演练/第二章")
    desktop.get_by_test_id("bulk-form").locator("button[type=submit]").click()
    expect(desktop.locator(".alert-success")).to_contain_text("1")
    desktop.get_by_test_id("knowledge-points-link").click()
    chapter = desktop.get_by_test_id("knowledge-point").filter(
        has=desktop.locator(".kp-name", has_text=re.compile(r"^第一章$"))
    )
    chapter.get_by_test_id("kp-delete").click()
    expect(desktop.locator(".alert-success")).to_contain_text("端到端演练 › 第一章")
    expect(desktop.get_by_test_id("knowledge-point-tree")).to_contain_text("第二章")
    shot(desktop, "bank-knowledge-points")


def test_the_fill_editor_grows_with_the_blanks_of_the_stem(new_page):
    page = new_page(PHONE)
    login(page, "demo-editor")
    page.goto("/bank/")
    page.get_by_test_id("new-question").click()
    page.locator("[data-type=fill]").click()
    rows = page.locator("[data-blank-row]:visible")
    expect(rows).to_have_count(4)
    page.fill("textarea[name=stem]", "端到端：五个空____、____、____、____、____。")
    expect(rows).to_have_count(5)
    page.locator("[data-blanks-editor] [data-add-option]").click()
    expect(rows).to_have_count(6)
    expect(page.locator("input[name=blanks-5]")).to_be_focused()
    for number in range(5):
        page.fill(f"input[name=blanks-{number}]", f"答案{number + 1}")
    shot(page, "bank-fill-editor")
    page.get_by_test_id("save-question").click()
    expect(page.get_by_test_id("stem")).to_contain_text("五个空")
    expect(page.locator("ol li", has_text="答案5")).to_be_visible()


def test_a_rejected_edit_keeps_the_question_in_use_and_the_editor_reads_why(new_page):
    stem = "端到端退回：党的基层组织设立党的支部，需有正式党员多少名以上？"
    proposed = "端到端退回（修改稿）：设立党支部需有正式党员几名以上？"
    note = "修改稿删去了“党的基层组织”，题意不完整"
    editor = new_page(DESKTOP)
    login(editor, "demo-editor")
    editor.goto("/bank/")  # the editor's one bank opens at once
    editor.get_by_test_id("new-question").click()
    editor.locator("[data-type=single]").click()
    editor.fill("textarea[name=stem]", stem)
    editor.fill("input[name=options-0]", "三名")
    editor.fill("input[name=options-1]", "五名")
    editor.check("#answer-A")
    editor.fill("input[name=knowledge_point]", "党章 › 第五章 党的基层组织")
    editor.get_by_test_id("save-question").click()
    editor.get_by_test_id("submit-review").click()
    question_url = editor.url

    reviewer = new_page(DESKTOP)
    login(reviewer, "demo-admin")
    reviewer.goto(question_url)
    reviewer.get_by_test_id("approve").click()
    expect(reviewer.locator("[data-status=active]")).to_be_visible()

    editor.goto(question_url)
    editor.get_by_test_id("question-actions").get_by_role("link", name="编辑", exact=True).click()
    editor.fill("textarea[name=stem]", proposed)
    editor.get_by_test_id("save-question").click()
    expect(editor.locator("[data-status=in_review]")).to_be_visible()

    reviewer.goto(question_url)
    expect(reviewer.get_by_test_id("version-changes")).to_be_visible()
    reviewer.fill("textarea[name=reason]", note)
    reviewer.get_by_test_id("reject").click()
    expect(reviewer.locator("[data-status=active]")).to_be_visible()
    expect(reviewer.get_by_test_id("stem")).to_have_text(stem)

    editor.goto(question_url)
    expect(editor.locator("[data-status=active]")).to_be_visible()
    expect(editor.get_by_test_id("stem")).to_have_text(stem)
    expect(editor.get_by_test_id("rejected-edit")).to_contain_text(note)
    shot(editor, "bank-rejected-edit")
    editor.get_by_test_id("rejected-edit").get_by_role("link").click()
    expect(editor.get_by_test_id("stem")).to_have_text(proposed)
    expect(editor.get_by_test_id("rejection-reason")).to_have_text(note)
    editor.get_by_test_id("rework").click()
    expect(editor.locator("textarea[name=stem]")).to_have_value(proposed)
