"""How organisational life reaches the 学时 ledger: only through hours' credit() and reversals."""

from decimal import Decimal

HOUR = Decimal("3600")
HALF_DAY = 4 * 3600  # a session of up to four hours is a half day at most


def session_hours(seconds: int, rates: dict[str, Decimal]) -> Decimal:
    """学时 for an organised session of `seconds` on one day, by the rule set's conversion.

    The rate per hour applies, capped by the half-day figure for up to four hours of study and
    by the full-day figure beyond (a meeting is held on one day).
    """
    cap = rates["half_day"] if seconds <= HALF_DAY else rates["full_day"]
    return min(Decimal(seconds) / HOUR * rates["per_hour"], cap).quantize(Decimal("0.01"))
