"""The discussion package's tables."""

from learnapp.discussions.models.announcements import (
    Announcement,
    AnnouncementRead,
    Complaint,
    ComplaintMessage,
)
from learnapp.discussions.models.boards import (
    Board,
    BoardKind,
    ModerationMode,
    Post,
    PostRevision,
    PostState,
    Subscription,
    Thread,
    ThreadRead,
)
from learnapp.discussions.models.moderation import (
    APPROVE_REASONS,
    REJECT_REASONS,
    AllowedTerm,
    ModerationDecision,
    ReasonCode,
    Report,
    ReportState,
    SensitiveTerm,
    WordAction,
    WordCategory,
    WordListVersion,
)

__all__ = [
    "APPROVE_REASONS",
    "REJECT_REASONS",
    "AllowedTerm",
    "Announcement",
    "AnnouncementRead",
    "Board",
    "BoardKind",
    "Complaint",
    "ComplaintMessage",
    "ModerationDecision",
    "ModerationMode",
    "Post",
    "PostRevision",
    "PostState",
    "ReasonCode",
    "Report",
    "ReportState",
    "SensitiveTerm",
    "Subscription",
    "Thread",
    "ThreadRead",
    "WordAction",
    "WordCategory",
    "WordListVersion",
]
