"""What the discussion package tells people: the kinds of notification it sends (see
notifications.preferences) and the messages of each (see notifications.messages)."""

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.discussions.labels import REASON_LABELS
from learnapp.discussions.models import Post, PostState, ReasonCode
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

MAX_ID = 2**31 - 1
POST_GONE = _l("This post has been deleted.")
# In place of the title of a thread a moderator removed: its title may be what was wrong.
REMOVED_THREAD = _l("a removed thread")


def _post_id(params) -> int | None:
    post_id = params.get("post") if isinstance(params, Mapping) else None
    if isinstance(post_id, int) and not isinstance(post_id, bool) and 0 < post_id <= MAX_ID:
        return post_id
    return None


def _as_now(session: Session, stored: list[Mapping]) -> list[Mapping]:
    """The thread title and the excerpt of the post each notification is about, as they are
    now: the current ones while the post and its thread are published; the stored title and no
    text while either waits for review again after an edit; no text, and `gone`, once either was
    deleted or removed; and no title either once a moderator removed the thread, whose title
    may be what was wrong with it. What is stored is the text as it was sent, and stays as it
    was."""
    ids = {post_id for post_id in map(_post_id, stored) if post_id is not None}
    posts = (
        {post.id: post for post in session.scalars(sa.select(Post).where(Post.id.in_(ids)))}
        if ids
        else {}
    )
    current = []
    for params in stored:
        post = posts.get(_post_id(params))
        if post is None:
            current.append(params)
            continue
        states = {post.state, post.thread.state}
        if states == {PostState.PUBLISHED}:
            current.append({**params, "title": post.thread.title, "excerpt": post.excerpt})
        else:
            gone = bool(states & {PostState.DELETED, PostState.REJECTED})
            fresh = {**params, "excerpt": "", "gone": gone}
            if post.thread.state == PostState.REJECTED:
                fresh["title"] = str(REMOVED_THREAD)
            current.append(fresh)
    return current


def _excerpt(params: Mapping) -> str:
    """The text quoted from the post, or that the post is gone (see _as_now)."""
    if isinstance(params, Mapping) and params.get("gone"):
        return str(POST_GONE)
    return str(params["excerpt"])


MENTION = declare(
    "mention",
    _MENTION.key,
    _l("%(name)s mentioned you in “%(title)s”"),
    ("name", "title", "thread", "post", "excerpt"),
    _excerpt,
    _as_now,
)
NEW_THREAD = declare(
    "new_thread",
    _NEW_THREAD.key,
    _l("New thread in %(board)s: %(title)s"),
    ("board", "title", "thread", "post", "excerpt"),
    _excerpt,
    _as_now,
)
REPLY = declare(
    "reply",
    _REPLY.key,
    _l("New reply in “%(title)s”"),
    ("title", "thread", "post", "excerpt"),
    _excerpt,
    _as_now,
)
POST_PUBLISHED = declare(
    "post_published",
    _POST_APPROVED.key,
    _l("Your post in “%(title)s” has been published"),
    ("title", "thread", "post"),
)
# Retired (no longer sent: POST_REFUSED says why); kept for the notifications that carry it.
POST_NOT_PUBLISHED = declare(
    "post_not_published",
    _POST_REJECTED.key,
    _l("Your post in “%(title)s” was not published"),
    ("title", "thread", "post", "note"),
    verbatim("note"),
)


def _removal_reason(params: Mapping) -> str:
    """The reason the moderator chose, in the reader's language, and their note if any."""
    reason = str(REASON_LABELS[ReasonCode(params["reason"])])
    line = str(_l("Reason: %(reason)s", reason=reason))
    return f"{line} · {params['note']}" if params["note"] else line


POST_REFUSED = declare(
    "post_refused",
    _POST_REJECTED.key,
    _l("Your post in “%(title)s” was not published"),
    ("title", "thread", "post", "reason", "note"),
    _removal_reason,
)
POST_REMOVED = declare(
    "post_removed",
    _POST_REJECTED.key,
    _l("Your post in “%(title)s” was removed by a moderator"),
    ("title", "thread", "post", "reason", "note"),
    _removal_reason,
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
