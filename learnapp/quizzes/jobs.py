"""Scheduled job of quizzes (declared in learnapp/jobs.py)."""

from learnapp.jobs import Summary
from learnapp.quizzes.attempts import finalize_overdue


def finish_overdue(session, now) -> Summary:
    """Finish attempts past their deadline and grace with the answers they saved."""
    return Summary("finished", {"attempts": finalize_overdue(session, now)})
