"""Scheduled job of quizzes (declared in learnapp/jobs.py)."""

from learnapp.quizzes.attempts import finalize_overdue


def finish_overdue(session, now) -> str:
    """Finish attempts past their deadline and grace with the answers they saved."""
    return finalize_overdue(session, now)
