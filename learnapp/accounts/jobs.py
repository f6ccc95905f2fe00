"""Scheduled jobs of the accounts package."""

from learnapp.accounts.services.logins import purge_expired_logins


def purge_expired(session, now) -> str:
    sessions, throttles = purge_expired_logins(session, now)
    return f"{sessions} sessions and {throttles} login counters removed"
