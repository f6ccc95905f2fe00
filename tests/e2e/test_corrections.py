"""A member corrects their own record in a real browser: withdraws a claim sent by mistake, and
removes a self-study entry recorded by mistake, seeing the year's self-study total drop."""

import re
import secrets
from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, OWN_PASSWORD, PHONE, login, reset_and_login, shot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WITHDRAWN = re.compile("已撤回|Claim withdrawn")


def _self_study_total(page) -> Decimal:
    row = page.get_by_test_id("category-self_study")
    return Decimal(row.locator("td").nth(1).inner_text().strip())


def _withdraw_a_claim(page, tmp_path, tag: str) -> str:
    evidence = tmp_path / "证明.pdf"
    evidence.write_bytes(PDF)
    description = f"误报的外部学习 {tag}"
    page.goto("/orglife/claims")
    page.select_option("#category", "external")
    page.fill("#hours", "2")
    page.fill("#description", description)
    page.set_input_files("#evidence", str(evidence))
    page.get_by_test_id("submit-claim").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # From My study, where the claim waits, to its page and its withdraw button.
    page.goto("/study/me")
    pending = page.get_by_test_id("pending-claim").filter(has_text=description)
    expect(pending).to_have_count(1)
    pending.locator("a").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("withdraw-claim")).to_be_visible()
    shot(page, "claim-withdraw")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("withdraw-claim").click()
    page.wait_for_url(re.compile(r"/orglife/claims$"))
    expect(page.locator(".alert-success")).to_be_visible()
    mine = page.get_by_test_id("my-claims").locator("a", has_text=description)
    expect(mine).to_contain_text(WITHDRAWN)
    shot(page, "claims-withdrawn")
    page.goto("/study/me")
    expect(page.get_by_test_id("pending-claim").filter(has_text=description)).to_have_count(0)
    return description


def _remove_self_study(page, tag: str) -> None:
    note = f"误录的自学 {tag}"
    page.goto("/study/me")
    page.fill("input[name=hours]", "0.5")
    page.fill("input[name=note]", note)
    page.locator("[data-testid=self-study-form] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    before = _self_study_total(page)
    entry = page.get_by_test_id("ledger-entry").filter(has_text=note)
    entry.get_by_test_id("remove-entry").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("entry-to-remove")).to_contain_text(note)
    expect(page.get_by_test_id("removal-effect")).to_contain_text(str(before - Decimal("0.5")))
    page.fill("input[name=reason]", "重复登记")
    shot(page, "study-remove-entry")
    page.get_by_test_id("confirm-remove-entry").click()
    page.wait_for_url(re.compile(r"/study/me"))
    expect(page.locator(".alert-success")).to_be_visible()
    assert _self_study_total(page) == before - Decimal("0.5")
    # The correction names the entry it cancels; the entry itself says it was cancelled.
    entries = page.get_by_test_id("ledger-entry").filter(has_text=note)
    expect(entries).to_have_count(2)
    entry = entries.filter(has=page.get_by_test_id("ledger-entry-cancelled"))
    expect(entry.get_by_test_id("ledger-entry-cancelled")).to_contain_text("重复登记")
    expect(entry.get_by_test_id("remove-entry")).to_have_count(0)
    entry.scroll_into_view_if_needed()
    shot(page, "study-entry-removed")


def test_member_withdraws_a_claim_and_removes_a_self_study_entry(new_page, tmp_path):
    tag = secrets.token_hex(3)
    page = new_page(PHONE)
    login(page, "demo-member")
    description = _withdraw_a_claim(page, tmp_path, tag)

    secretary = new_page(DESKTOP)
    login(secretary, "demo-secretary")
    secretary.goto("/orglife/claims/review")
    expect(secretary.get_by_test_id("pending-claims")).to_be_visible()
    expect(secretary.get_by_text(description)).to_have_count(0)

    # A self-study entry is removed by a member of a branch with no assessment under way (the
    # demo branch's evidence may be frozen by the assessment journey, closing its year).
    other = reset_and_login(new_page, "dy022", PHONE)
    _remove_self_study(other, tag)
    other_desktop = new_page(DESKTOP)
    login(other_desktop, "dy022", OWN_PASSWORD)
    _remove_self_study(other_desktop, f"{tag}-desktop")

    desktop = new_page(DESKTOP)
    login(desktop, "demo-member")
    desktop.goto("/orglife/claims")
    withdrawn = desktop.get_by_test_id("my-claims").locator("a", has_text=description)
    expect(withdrawn).to_contain_text(WITHDRAWN)
    shot(desktop, "claims-withdrawn")
    withdrawn.click()
    desktop.wait_for_load_state()
    expect(desktop.get_by_test_id("claim")).to_contain_text(WITHDRAWN)
    expect(desktop.get_by_test_id("withdraw-claim")).to_have_count(0)
    shot(desktop, "claim-withdrawn")
