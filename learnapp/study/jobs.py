"""Scheduled jobs of study (registered in learnapp/jobs.py)."""

from learnapp.jobs import Summary
from learnapp.study import services


def close_silent_sessions(session, now) -> Summary:
    closed = services.close_silent_sessions(session, now)
    return Summary("closed", {"sessions": closed})
