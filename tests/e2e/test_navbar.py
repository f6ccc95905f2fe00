"""The navbar fits: expanded from 1200 px in both languages for every demo role, every item on
one line and nothing outside the bar; collapsed below that, the bell outside the menu."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, login, shot

LAPTOP = {"width": 1024, "height": 768}

FIT = """() => {
  const bar = document.querySelector('nav.navbar').getBoundingClientRect();
  const links = [...document.querySelectorAll('nav.navbar .navbar-nav > .nav-item > .nav-link')]
    .filter(link => link.offsetParent !== null);
  return {
    pageWidth: document.documentElement.scrollWidth,
    barHeight: bar.height,
    wrapped: links.filter(link => link.getBoundingClientRect().height > 44)
      .map(link => link.textContent.trim()),
    outside: links.filter(link => link.getBoundingClientRect().right > bar.right)
      .map(link => link.textContent.trim()),
    count: links.length,
  };
}"""


def _in(page, locale: str) -> None:
    page.context.add_cookies([{"name": "learnapp_lang", "value": locale, "url": page.url}])
    page.reload()


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize("username", ["demo-admin", "demo-secretary", "demo-member"])
def test_the_expanded_navbar_fits_at_1280(new_page, username, locale):
    page = new_page(DESKTOP)
    login(page, username)
    _in(page, locale)
    fit = page.evaluate(FIT)
    assert fit["count"] >= 9
    assert fit["pageWidth"] == DESKTOP["width"], fit
    assert fit["wrapped"] == [] and fit["outside"] == [], fit
    assert fit["barHeight"] < 70, fit
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    expect(page.get_by_test_id("notifications-link")).to_be_visible()
    expect(page.get_by_test_id("notifications-bell")).to_be_hidden()
    shot(page, f"navbar-{username}-{locale}")


def test_below_1200_the_menu_collapses_and_opens_in_english(new_page):
    page = new_page(LAPTOP)
    login(page, "demo-admin")
    _in(page, "en")
    assert page.evaluate("document.documentElement.scrollWidth") == LAPTOP["width"]
    expect(page.get_by_test_id("main-nav")).to_be_hidden()
    expect(page.get_by_test_id("notifications-bell")).to_be_visible()
    page.click(".navbar-toggler")
    expect(page.get_by_test_id("main-nav").locator("[data-nav=admin]")).to_be_visible()
    expect(page.get_by_test_id("notifications-link")).to_contain_text("Notifications")
    shot(page, "navbar-collapsed-demo-admin-en")
