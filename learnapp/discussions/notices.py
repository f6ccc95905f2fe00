"""The kinds of notification the discussion package sends (see notifications.preferences)."""

from flask_babel import lazy_gettext as _l

from learnapp.notifications.preferences import Audience, register_kind

MENTION = register_kind("mention", _l("Someone mentions me with @"))
REPLY = register_kind("reply", _l("New replies in threads I follow"))
NEW_THREAD = register_kind("new_thread", _l("New threads on boards I follow"))
REPORT_DECIDED = register_kind("report_decided", _l("The outcome of my reports"))
# Administrators also find these in their to-do inbox.
COMPLAINT = register_kind(
    "complaint",
    _l("New complaints and suggestions (administrators)"),
    audience=Audience.ADMINS,
)
# About one's own posts and messages, and from the party organisation: always sent.
ANNOUNCEMENT = register_kind("announcement", _l("Announcements"), mandatory=True)
POST_APPROVED = register_kind("post_approved", _l("My post was published"), mandatory=True)
POST_REJECTED = register_kind("post_rejected", _l("My post was removed"), mandatory=True)
COMPLAINT_REPLY = register_kind(
    "complaint_reply", _l("Replies to my complaints and suggestions"), mandatory=True
)
