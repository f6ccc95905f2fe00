"""The discussion blueprint: boards and threads, the review queue and word lists,
announcements, and complaints and suggestions."""

from flask import Blueprint, abort

bp = Blueprint("discussions", __name__)
# Ids are 32-bit integers: a larger one in a URL names nothing (and would overflow SQLite's
# integer binding rather than miss).
MAX_ID = 2**31 - 1


@bp.url_value_preprocessor
def ids_in_range(endpoint, values) -> None:
    if any(isinstance(value, int) and value > MAX_ID for value in (values or {}).values()):
        abort(404)


from learnapp.discussions.views import (  # noqa: E402  (routes register on bp)
    announcements,
    boards,
    feedback,
    moderation,
    threads,
)

__all__ = ["MAX_ID", "announcements", "boards", "bp", "feedback", "moderation", "threads"]
