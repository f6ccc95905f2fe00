"""Scheduled jobs of the accounts package."""

from learnapp.accounts.services.logins import purge_expired_logins
from learnapp.jobs import Summary


def purge_expired(session, now) -> Summary:
    sessions, throttles = purge_expired_logins(session, now)
    return Summary("purged", {"sessions": sessions, "counters": throttles})
