"""`flask content rerender`: stored lesson, post and announcement HTML rendered again from its
source with the current rules, only where it differs, and a second run changes nothing."""

import pytest
import sqlalchemy as sa

from learnapp.courses.models import LessonVersion
from learnapp.discussions.models import Announcement, Post
from learnapp.discussions.services.announcements import publish_announcement
from learnapp.rerender import rerender_stored_html
from learnapp.sanitize import MAX_SOURCE_CHARS, render_markdown, render_post_markdown
from tests.conftest import reload
from tests.courses.factories import make_course, make_lesson, make_module
from tests.discussions.factories import make_branch_board, make_reply, make_thread
from tests.factories import FIXED_NOW
from tests.world import build_world

SCRIPT = '<script>alert("x")</script>'
FRAME = '<iframe src="https://example.com/"></iframe>'


@pytest.fixture
def stored(app, session):
    """One lesson version, two posts and an announcement, the lesson and the reply stored under
    older rules that let a script and a frame through."""
    world = build_world(session)
    with app.test_request_context():
        module = make_module(session, course=make_course(session, owner_unit=world.root))
        lesson = make_lesson(session, module=module, body="## 学习要点\n\n认真学习党章。")
        thread = make_thread(session, world.member_a, make_branch_board(session, world.branch_a))
        answer = make_reply(session, world.secretary_a, thread, body="**赞同**，一起学习。")
        notice = publish_announcement(
            session,
            world.secretary_a,
            world.branch_a,
            title="关于开展主题党日活动的通知",
            body="请各位党员准时参加。",
            expires_at=None,
            now=FIXED_NOW,
        )
    version = lesson.current_version
    version.body_html += SCRIPT
    answer.body_html = FRAME + answer.body_html
    session.commit()
    return {"version": version, "answer": answer, "opening": thread, "notice": notice}


def test_the_command_cleans_stale_rows_and_a_second_run_changes_nothing(runner, session, stored):
    result = runner.invoke(args=["content", "rerender"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "lesson versions: 1 of 1 changed",
        "posts: 1 of 2 changed",
        "announcements: 0 of 1 changed",
    ]
    reload(session)
    version = session.get(LessonVersion, stored["version"].id)
    assert version.body_html == render_markdown(version.body_source)
    assert "<script" not in version.body_html and "学习要点" in version.body_html
    answer = session.get(Post, stored["answer"].id)
    assert answer.body_html == render_post_markdown(answer.body_source)
    assert "<iframe" not in answer.body_html and "<strong>赞同</strong>" in answer.body_html
    again = runner.invoke(args=["content", "rerender"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        "lesson versions: 0 of 1 changed",
        "posts: 0 of 2 changed",
        "announcements: 0 of 1 changed",
    ]


def test_rows_are_read_in_batches_and_all_reached(session, stored):
    report = rerender_stored_html(session, batch=1)
    assert [(line.rows, line.changed) for line in report] == [(1, 1), (2, 1), (1, 0)]
    assert [line.changed for line in rerender_stored_html(session, batch=1)] == [0, 0, 0]


def test_a_source_past_todays_cap_keeps_its_html_sanitised_again(session, stored):
    notice = stored["notice"]
    kept = notice.body_html
    session.execute(
        sa.update(Announcement)
        .where(Announcement.id == notice.id)
        .values(body_source="长" * (MAX_SOURCE_CHARS + 1), body_html=kept + SCRIPT)
    )
    report = rerender_stored_html(session)
    assert report[2].changed == 1
    html = session.scalar(sa.select(Announcement.body_html).where(Announcement.id == notice.id))
    assert "<script" not in html and "请各位党员准时参加。" in html
