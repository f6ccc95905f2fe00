"""Scheduled jobs of study (registered in learnapp/jobs.py)."""

from learnapp.study import services


def close_silent_sessions(session, now) -> str:
    closed = services.close_silent_sessions(session, now)
    return f"{closed} silent study sessions closed"
