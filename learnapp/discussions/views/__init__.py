"""The discussion blueprint: boards and threads, the review queue and word lists,
announcements, and complaints and suggestions."""

from flask import Blueprint

bp = Blueprint("discussions", __name__)

from learnapp.discussions.views import (  # noqa: E402  (routes register on bp)
    announcements,
    boards,
    feedback,
    moderation,
    threads,
)

__all__ = ["announcements", "boards", "bp", "feedback", "moderation", "threads"]
