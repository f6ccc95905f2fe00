"""`flask --app learnapp courses sync [PATH]`: load the curriculum content files."""

import click
from flask.cli import AppGroup

from learnapp.clock import now
from learnapp.config import PROJECT_ROOT
from learnapp.db import get_db

courses_cli = AppGroup("courses", help="Courses and the curriculum content files.")
DEFAULT_CONTENT = PROJECT_ROOT / "courses"


@courses_cli.command("sync")
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True))
def sync(path):
    """Create and update courses from content files (default: the project's courses/ folder)."""
    from learnapp.courses.content import ContentError, sync_content

    try:
        with get_db().session_scope() as session:
            report = sync_content(session, path or DEFAULT_CONTENT, now())
    except ContentError as error:
        raise click.ClickException(f"nothing was changed:\n{error}") from None
    for line in report.lines():
        click.echo(line)
