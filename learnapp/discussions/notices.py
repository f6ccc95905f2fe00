"""What the discussion package tells people: the kinds of notification it sends (see
notifications.preferences) and the messages of each (see notifications.messages)."""

from flask_babel import lazy_gettext as _l

from learnapp.notifications.messages import declare, verbatim
from learnapp.notifications.preferences import Audience, register_kind

_MENTION = register_kind("mention", _l("Someone mentions me with @"))
_REPLY = register_kind("reply", _l("New replies in threads I follow"))
_NEW_THREAD = register_kind("new_thread", _l("New threads on boards I follow"))
_REPORT_DECIDED = register_kind("report_decided", _l("The outcome of my reports"))
# Administrators also find these in their to-do inbox.
_COMPLAINT = register_kind(
    "complaint",
    _l("New complaints and suggestions (administrators)"),
    audience=Audience.ADMINS,
)
# About one's own posts and messages, and from the party organisation: always sent.
_ANNOUNCEMENT = register_kind("announcement", _l("Announcements"), mandatory=True)
_POST_APPROVED = register_kind("post_approved", _l("My post was published"), mandatory=True)
_POST_REJECTED = register_kind("post_rejected", _l("My post was removed"), mandatory=True)
_COMPLAINT_REPLY = register_kind(
    "complaint_reply", _l("Replies to my complaints and suggestions"), mandatory=True
)

MENTION = declare(
    "mention",
    _MENTION.key,
    _l("%(name)s mentioned you in “%(title)s”"),
    ("name", "title", "thread", "post", "excerpt"),
    verbatim("excerpt"),
)
NEW_THREAD = declare(
    "new_thread",
    _NEW_THREAD.key,
    _l("New thread in %(board)s: %(title)s"),
    ("board", "title", "thread", "post", "excerpt"),
    verbatim("excerpt"),
)
REPLY = declare(
    "reply",
    _REPLY.key,
    _l("New reply in “%(title)s”"),
    ("title", "thread", "post", "excerpt"),
    verbatim("excerpt"),
)
POST_PUBLISHED = declare(
    "post_published",
    _POST_APPROVED.key,
    _l("Your post in “%(title)s” has been published"),
    ("title", "thread", "post"),
)
POST_NOT_PUBLISHED = declare(
    "post_not_published",
    _POST_REJECTED.key,
    _l("Your post in “%(title)s” was not published"),
    ("title", "thread", "post", "note"),
    verbatim("note"),
)
REPORT_POST_REMOVED = declare(
    "report_post_removed",
    _REPORT_DECIDED.key,
    _l("Your report has been handled: the post was removed"),
    ("post",),
)
REPORT_POST_STAYS = declare(
    "report_post_stays",
    _REPORT_DECIDED.key,
    _l("Your report has been handled: the post stays"),
    ("post",),
)
ANNOUNCEMENT = declare(
    "announcement",
    _ANNOUNCEMENT.key,
    _l("Announcement: %(title)s"),
    ("title", "announcement"),
)
ANNOUNCEMENT_REMINDER = declare(
    "announcement_reminder",
    _ANNOUNCEMENT.key,
    _l("Reminder: please read the announcement “%(title)s”"),
    ("title", "announcement"),
)
COMPLAINT_NEW = declare(
    "complaint_new",
    _COMPLAINT.key,
    _l("New complaint or suggestion: %(subject)s"),
    ("subject", "complaint"),
)
COMPLAINT_MESSAGE = declare(
    "complaint_message",
    _COMPLAINT.key,
    _l("New message on “%(subject)s”"),
    ("subject", "complaint"),
)
COMPLAINT_REPLY = declare(
    "complaint_reply",
    _COMPLAINT_REPLY.key,
    _l("Reply to your message “%(subject)s”"),
    ("subject", "complaint"),
)
