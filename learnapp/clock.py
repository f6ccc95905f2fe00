"""The one place that reads the wall clock. Services take `now` as an argument."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now() -> datetime:
    """Aware UTC now, or the fixed time a test installed as `app.config["CLOCK"]`."""
    fixed = current_app.config.get("CLOCK") if current_app else None
    if fixed is not None:
        return fixed()
    return datetime.now(UTC)


def org_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])
