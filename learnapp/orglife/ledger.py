"""How organisational life reaches the 学时 ledger: only through hours' credit() and reversals."""

from decimal import Decimal

HOUR = Decimal("3600")


def session_hours(seconds: int, per_hour: Decimal) -> Decimal:
    """学时 for an organised session of `seconds` at the rule set's rate per hour."""
    return (Decimal(seconds) / HOUR * per_hour).quantize(Decimal("0.01"))
