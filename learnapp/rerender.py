"""`flask --app learnapp content rerender`: stored HTML brought up to the current rules.

Lesson versions, discussion posts and announcements keep their Markdown (`body_source`) beside
the HTML rendered and sanitised when they were saved (`body_html`, what pages show). When the
Markdown extensions or the sanitiser's allow-list change, the rows saved before keep the old
rendering until this command renders them again from their source.
"""

from collections.abc import Callable
from typing import NamedTuple

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from learnapp.courses.models import LessonVersion
from learnapp.db import get_db
from learnapp.discussions.models import Announcement, Post
from learnapp.sanitize import SourceTooLong, clean_html, render_markdown, render_post_markdown

content_cli = AppGroup("content", help="Stored lesson, post and announcement content.")

BATCH = 500


class Stored(NamedTuple):
    """A table of rendered content: its model and the renderer its source is written for."""

    name: str
    model: type
    render: Callable[[str], str]


STORED = (
    Stored("lesson versions", LessonVersion, render_markdown),
    Stored("posts", Post, render_post_markdown),
    Stored("announcements", Announcement, render_post_markdown),
)


class Rerendered(NamedTuple):
    name: str
    rows: int
    changed: int


def _fresh(stored: Stored, source: str, html: str) -> str:
    """The HTML the current rules make of `source`; a source past today's length cap keeps its
    stored HTML, sanitised again."""
    try:
        return stored.render(source)
    except SourceTooLong:
        return clean_html(html)


def rerender_stored_html(session: Session, batch: int = BATCH) -> list[Rerendered]:
    """Render every stored body again from its source with the current Markdown and sanitiser
    rules and store the HTML where it differs. Idempotent: a second run changes nothing. Reads
    and writes `batch` rows at a time; the caller commits. Returns, per table, how many rows
    were read and how many changed."""
    report = []
    for stored in STORED:
        model = stored.model
        rows = changed = last = 0
        while True:
            page = session.execute(
                sa.select(model.id, model.body_source, model.body_html)
                .where(model.id > last)
                .order_by(model.id)
                .limit(batch)
            ).all()
            if not page:
                break
            updates = [
                {"id": row_id, "body_html": fresh}
                for row_id, source, html in page
                if (fresh := _fresh(stored, source, html)) != html
            ]
            if updates:
                session.execute(sa.update(model), updates)
            rows += len(page)
            changed += len(updates)
            last = page[-1][0]
        report.append(Rerendered(stored.name, rows, changed))
    return report


@content_cli.command("rerender")
def rerender():
    """Render stored lesson, post and announcement HTML again with the current rules."""
    with get_db().session_scope() as session:
        report = rerender_stored_html(session)
    for line in report:
        click.echo(f"{line.name}: {line.changed} of {line.rows} changed")
