"""A member's standing against the annual target: the pure arithmetic, shared by SQL and views.

Status for the year: not applicable (not a party member: the requirement is a party member's),
exempt (a party member excused from it: 年老体弱), done (counted ≥ target), on track (the
projection to year end at the member's pace reaches the target), else behind. The pace is hours
so far over the elapsed share of the year, measured in the organisation's timezone. Once the year
is over, the pace is the target itself: nobody is on track, "behind" means not completed, and
there is nothing left to project.
"""

import enum
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

SHARE_PLACES = Decimal("0.000001")


class Status(enum.StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    BEHIND = "behind"  # in a finished year: not completed
    EXEMPT = "exempt"  # 免学: a party member exempt as elderly or infirm (条例 Art. 23)
    NOT_APPLICABLE = "not_applicable"  # 无学时要求: 发展对象, 入党积极分子, 群众


STATUS_ORDER = (
    Status.DONE,
    Status.ON_TRACK,
    Status.BEHIND,
    Status.EXEMPT,
    Status.NOT_APPLICABLE,
)
# Members in these statuses have no target: they are left out of completion percentages.
WITHOUT_TARGET = frozenset({Status.EXEMPT, Status.NOT_APPLICABLE})


def year_finished(share: Decimal) -> bool:
    return share >= 1


def statuses_for(share: Decimal) -> tuple[Status, ...]:
    """The statuses a year can show: a finished year has no "on track"."""
    if year_finished(share):
        return tuple(s for s in STATUS_ORDER if s != Status.ON_TRACK)
    return STATUS_ORDER


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


def cents(value: Decimal) -> Decimal:
    """Hours to the cent, 四舍五入 (half up), as every figure of the reports is rounded."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def projection(counted: Decimal, share: Decimal) -> Decimal | None:
    """Hours at year end if the pace so far continues; None before the year starts and once
    it is over (the hours are then final, not a projection)."""
    if share <= 0 or year_finished(share):
        return None
    return cents(Decimal(counted) / share)


def classify(
    counted: Decimal, target: Decimal | None, share: Decimal, *, party_member: bool = True
) -> Status:
    """The status rule. `counted ≥ target × share` is `projection ≥ target` without dividing.
    Without a target, a party member is exempt; anyone else has no requirement at all."""
    if not party_member:
        return Status.NOT_APPLICABLE
    if target is None:
        return Status.EXEMPT
    counted = Decimal(counted)
    if counted >= target:
        return Status.DONE
    if counted >= cents(target * share):
        return Status.ON_TRACK
    return Status.BEHIND
