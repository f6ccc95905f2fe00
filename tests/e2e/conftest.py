"""End-to-end fixtures: a real server on a demo-seeded database, driven by Debian's chromium.

The server runs in a thread of the test process (werkzeug, threaded) on a database built the way
`make run` builds one: migrations, then `demo seed`. Browser tests are skipped when chromium is
missing, unless REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.
"""

import os
import re
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from learnapp import create_app
from learnapp.cli import upgrade_database
from learnapp.clock import now
from learnapp.db import get_db
from learnapp.demo import seed_demo
from learnapp.quizzes.authoring import QuizSettings, archive_quiz, create_quiz, publish_quiz
from learnapp.quizzes.composition import add_questions
from learnapp.quizzes.demo import EXAM_TITLE
from learnapp.quizzes.models import Quiz
from tests.conftest import DB_KIND, POSTGRES_URL, TEST_SETTINGS, ScratchPostgres

CHROMIUM = os.environ.get("LEARNAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
DEMO_PASSWORD = "learnapp-demo"
# The password reset_and_login's member chooses (a password may not contain its user name).
OWN_PASSWORD = "a phrase of my very own"
# Settings of the e2e server beyond TEST_SETTINGS (packages may add theirs, e.g. shorter timers).
E2E_OVERRIDES: dict = {
    # study: the lesson page reports every second so journeys finish quickly; the server's
    # crediting (server clock, per-interval cap) is the same as in production.
    "STUDY_HEARTBEAT_SECONDS": 1,
}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The e2e server's application, for a test that must act as the server's own side does
    (the scheduled job) in an app context of its own."""
    data_dir = tmp_path_factory.mktemp("e2e")
    scratch = None
    if DB_KIND == "postgres":
        scratch = ScratchPostgres(POSTGRES_URL, "e2e")
        url = scratch.create()
    else:
        url = f"sqlite:///{data_dir / 'e2e.db'}"
    settings = {**TEST_SETTINGS, "DATA_DIR": str(data_dir), "DATABASE_URL": url, **E2E_OVERRIDES}
    settings.pop("TESTING")
    app = create_app(settings)
    with app.app_context():
        upgrade_database(get_db().engine)
        with get_db().session_scope() as session:
            seed_demo(session, now())
    yield app
    with app.app_context():
        get_db().engine.dispose()
    if scratch is not None:
        scratch.drop()


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def own_exam(live_app) -> str:
    """The title of a published copy of the demo exam (the same questions, owner, audience and
    terms) for one test alone: its attempts, marks and members' own terms are nobody else's, so
    no test meets another's leftovers. Archived afterwards, it leaves the members' lists."""
    title = f"党规知识自测 {uuid.uuid4().hex[:8]}"
    with live_app.app_context(), get_db().session_scope() as session:
        demo = session.scalar(sa.select(Quiz).where(Quiz.title == EXAM_TITLE))
        fields = ("kind", "owner_unit", "composition", "description", "opens_at", "closes_at")
        fields += ("duration_seconds", "grace_seconds", "attempts_allowed", "grading_method")
        fields += ("pass_percent", "shuffle_questions", "shuffle_options", "release")
        settings = QuizSettings(
            title=title,
            audience_units=list(demo.audience_units),
            audience_categories=list(demo.audience_categories),
            **{name: getattr(demo, name) for name in fields},
        )
        exam = create_quiz(session, None, settings, now())
        add_questions(session, None, exam, [item.question_id for item in demo.items], now())
        publish_quiz(session, None, exam, now())
        exam_id = exam.id
    yield title
    with live_app.app_context(), get_db().session_scope() as session:
        archive_quiz(session, None, session.get(Quiz, exam_id), now())


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (see _page).
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server, locale="zh-CN")
    page = context.new_page()
    # Generous waits: on a loaded machine a page may take seconds; a wait ends as soon as what
    # it waits for is there, so a passing test takes no longer.
    page.set_default_timeout(20_000)
    page.set_default_navigation_timeout(30_000)
    return context, page


@pytest.fixture
def page(browser, live_server):
    context, page = _page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context, page = _page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open further pages (other users, other sizes): new_page(viewport=PHONE)."""
    contexts = []

    def open_page(viewport=PHONE):
        context, page = _page(browser, live_server, viewport)
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def change_password(page, current: str, new: str) -> None:
    """On the change-password page (where a reset password leads): set `new` and wait to leave."""
    page.fill("input[name=current_password]", current)
    page.fill("input[name=new_password]", new)
    page.fill("input[name=confirm]", new)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/profile/password" not in url)
    page.wait_for_load_state("load")


def reset_and_login(new_page, username: str, size) -> object:
    """A page logged in as demo member `username` (a member whose password the demo does not
    publish): the admin resets the password, and the member replaces it at the first login."""
    admin = new_page(DESKTOP)
    login(admin, "demo-admin")
    admin.goto(f"/admin/users?q={username}")
    admin.locator("table a").first.click()
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=re.compile("重置密码")).click()
    flash = admin.locator(".alert-warning").first.inner_text()
    password = re.search(r"[:：]\s*(\S+)\s*$", flash.strip()).group(1)
    admin.close()
    page = new_page(size)
    login(page, username, password)
    change_password(page, password, OWN_PASSWORD)
    return page


def shot(page, name: str) -> Path:
    """Save a full-page screenshot named after the page and its width."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="login")
def login_fixture():
    return login


@pytest.fixture(name="shot")
def shot_fixture():
    return shot
