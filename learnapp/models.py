"""Imports every package's models so that Base.metadata knows all tables (Alembic, tests)."""

from learnapp.accounts.models import AuthSession, LoginThrottle, User
from learnapp.audit.models import AuditEntry
from learnapp.courses.models import (
    Course,
    CourseCategory,
    Lesson,
    LessonMedia,
    LessonVersion,
    Module,
)
from learnapp.db import Base
from learnapp.discussions.models import (
    AllowedTerm,
    Announcement,
    AnnouncementRead,
    Board,
    Complaint,
    ComplaintMessage,
    ModerationDecision,
    Post,
    PostRevision,
    Report,
    SensitiveTerm,
    Subscription,
    Thread,
    ThreadRead,
    WordCategory,
    WordListVersion,
)
from learnapp.hours.models import LedgerEntry, RuleSet
from learnapp.jobs import JobRun
from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import ReminderMute
from learnapp.orglife.models import (
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    StudyClaim,
    StudyItem,
)
from learnapp.orgs.models import MemberTransfer, RoleAssignment, Unit
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionVersion,
    SourceDocument,
    Tag,
)
from learnapp.study.models import Heartbeat, LessonProgress, StudyClock, StudySession

__all__ = [
    "AllowedTerm",
    "Announcement",
    "AnnouncementRead",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Board",
    "Complaint",
    "ComplaintMessage",
    "Course",
    "CourseCategory",
    "Heartbeat",
    "JobRun",
    "KnowledgePoint",
    "LedgerEntry",
    "Lesson",
    "LessonMedia",
    "LessonProgress",
    "LessonVersion",
    "LoginThrottle",
    "Meeting",
    "MeetingAttachment",
    "MeetingAttendance",
    "MemberTransfer",
    "ModerationDecision",
    "Module",
    "Notification",
    "Post",
    "PostRevision",
    "Question",
    "QuestionBank",
    "QuestionVersion",
    "ReminderMute",
    "Report",
    "RoleAssignment",
    "RuleSet",
    "SensitiveTerm",
    "SourceDocument",
    "StudyClaim",
    "StudyClock",
    "StudyItem",
    "StudySession",
    "Subscription",
    "Tag",
    "Thread",
    "ThreadRead",
    "Unit",
    "User",
    "WordCategory",
    "WordListVersion",
]
