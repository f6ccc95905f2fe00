"""How organisational life reaches the 学时 ledger: only through hours' credit() and reversals.

The ledger's source types for meetings and claims are members of `hours.models.SourceType`,
looked up by value when first used.
"""

from decimal import Decimal

from learnapp.hours.models import SourceType

MEETING_SOURCE = "meeting"
CLAIM_SOURCE = "claim"
HOUR = Decimal("3600")


def source_type(value: str) -> SourceType:
    return SourceType(value)


def session_hours(seconds: int, per_hour: Decimal) -> Decimal:
    """学时 for an organised session of `seconds` at the rule set's rate per hour."""
    return (Decimal(seconds) / HOUR * per_hour).quantize(Decimal("0.01"))
