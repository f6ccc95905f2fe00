"""Demo content: the starter curriculum from the courses/ folder, published to everyone."""

from datetime import datetime

from sqlalchemy.orm import Session

from learnapp.courses.cli import DEFAULT_CONTENT
from learnapp.courses.content import sync_content


def seed(session: Session, org, now: datetime) -> str:
    """Load the starter curriculum; the study seeder then gives members progress on it."""
    report = sync_content(session, DEFAULT_CONTENT, now)
    return (
        f"courses: {report.courses} courses, {report.lessons} lessons from {DEFAULT_CONTENT.name}/"
    )
