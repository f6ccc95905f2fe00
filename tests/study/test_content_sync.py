"""Re-syncing the content files: a revised lesson is a new version and members keep progress."""

import sqlalchemy as sa

from learnapp.courses.content import sync_content
from learnapp.courses.models import Lesson
from learnapp.hours.models import LedgerEntry
from tests.study.helpers import Studier
from tests.world import build_world

COURSE = """slug: sync-course
title: 同步课程
summary: 用于同步测试
required: true
modules:
  - title: 第一章
    lessons:
      - 01-a.md
      - 02-b.md
"""
LESSON = """---
slug: {slug}
title: "{title}"
minutes: 1
sources:
  - "《中国共产党章程》，总纲"
---

{body}
"""


def _write(root, first_body: str) -> None:
    folder = root / "sync-course"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(COURSE, encoding="utf-8")
    for name, slug, title, body in (
        ("01-a.md", "sync-a", "第一节", first_body),
        ("02-b.md", "sync-b", "第二节", "第二节正文"),
    ):
        (folder / name).write_text(
            LESSON.format(slug=slug, title=title, body=body), encoding="utf-8"
        )


def _sync(app, session, root, now):
    # An app context, as the CLI command has (the rule set's day is in the org timezone); a
    # fresh transaction, as the requests made since committed.
    session.rollback()
    with app.app_context():
        report = sync_content(session, root, now)
        session.commit()
    return report


def test_a_revised_lesson_keeps_progress_and_its_single_credit(
    app, client, session, clock, tmp_path
):
    world = build_world(session)
    _write(tmp_path, "初版正文")
    _sync(app, session, tmp_path, clock())
    first, second = session.scalars(
        sa.select(Lesson).where(Lesson.slug.in_(["sync-a", "sync-b"])).order_by(Lesson.slug)
    ).all()
    studier = Studier.login(client, "mema")
    sid = studier.start(first.id)
    for seq in range(1, 4):
        clock.advance(seconds=20)
        studier.beat(sid, seq, reached_end=True)
    assert studier.progress(first.id)["completed"]
    other = studier.start(second.id)
    clock.advance(seconds=20)
    studier.beat(other, 1)

    _write(tmp_path, "修订后的正文")
    report = _sync(app, session, tmp_path, clock())
    assert any("sync-a" in line and "new content version 2" in line for line in report.changes)

    assert studier.progress(first.id) == {
        "verified_seconds": 60,
        "counted_seconds": 48,  # complete: the required time, not the time beyond it
        "required_seconds": 48,
        "reached_end": True,
        "completed": True,
    }
    assert studier.progress(second.id)["verified_seconds"] == 20
    page = client.get(f"/study/lessons/{first.id}").get_data(as_text=True)
    assert "修订后的正文" in page and "初版正文" not in page
    session.rollback()
    entries = session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.member_id == world.member_a.id)
    ).all()
    assert [entry.source_id for entry in entries] == [str(first.id)]
