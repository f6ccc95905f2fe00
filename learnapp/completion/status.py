"""A member's standing against the annual target: the pure arithmetic, shared by SQL and views.

Status for the year: exempt (no target), done (counted ≥ target), on track (the projection to
year end at the member's pace reaches the target), else behind. The pace is hours so far over
the elapsed share of the year, measured in the organisation's timezone.
"""

import enum
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

SHARE_PLACES = Decimal("0.000001")


class Status(enum.StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    EXEMPT = "exempt"


STATUS_ORDER = (Status.DONE, Status.ON_TRACK, Status.BEHIND, Status.EXEMPT)


def elapsed_share(now: datetime, year: int, tz: ZoneInfo) -> Decimal:
    """How much of `year` has passed at `now`, in [0, 1], in the organisation's timezone."""
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    if now <= start:
        return Decimal(0)
    if now >= end:
        return Decimal(1)
    share = Decimal((now - start).total_seconds()) / Decimal((end - start).total_seconds())
    return share.quantize(SHARE_PLACES)


def projection(counted: Decimal, share: Decimal) -> Decimal | None:
    """Hours at year end if the pace so far continues; None before the year starts."""
    if share <= 0:
        return None
    return (Decimal(counted) / share).quantize(Decimal("0.01"))


def classify(counted: Decimal, target: Decimal | None, share: Decimal) -> Status:
    """The status rule. `counted ≥ target × share` is `projection ≥ target` without dividing."""
    if target is None:
        return Status.EXEMPT
    counted = Decimal(counted)
    if counted >= target:
        return Status.DONE
    if counted >= (target * share).quantize(Decimal("0.01")):
        return Status.ON_TRACK
    return Status.BEHIND
