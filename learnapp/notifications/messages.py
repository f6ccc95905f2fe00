"""What each notification says, rendered when it is read.

A notification stores a message key and the parameters interpolated into it (names, titles,
numbers, ids), never the sentence: the reader sees it in the language they use now, and a wording
fix reaches the notifications already sent. Every message a package may send is declared here,
once, with the kind it belongs to (the kind is what members mute, see preferences.py) and the
parameters it takes; `notify` refuses anything else. Keys are stored with each notification: a
message is retired by leaving it here unsent, never by renaming or removing it.

Notifications written before messages had keys have none and show the text stored with them.
Rendering never raises: a missing parameter, or one of the wrong type, gives a generic line.
The result is plain text, escaped by the templates like any other, so a title a person typed
shows as typed.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TITLE_CHARS = 200
BODY_CHARS = 1000
GENERIC = _l("You have a notification.")
# Failures of interpolating stored parameters: a key missing, a number that is text, a list
# where a mapping was meant.
RENDER_FAILURES = (KeyError, IndexError, TypeError, ValueError)


class Msg(enum.StrEnum):
    """The message keys, as stored on each notification (at most 48 characters)."""

    QUIZ_MARKED = "quiz_marked"
    PACE_REMINDER = "pace_reminder"
    SECRETARY_DIGEST = "secretary_digest"
    CLAIM_APPROVED = "claim_approved"
    CLAIM_REJECTED = "claim_rejected"
    SELF_APPRAISAL_OPEN = "assessment_self_appraisal_open"
    PEER_REVIEW_OPEN = "assessment_peer_review_open"
    EVALUATION_OPEN = "assessment_evaluation_open"
    ASSESSMENT_RESULT = "assessment_result"
    ASSESSMENT_REMINDER = "assessment_reminder"
    MENTION = "mention"
    NEW_THREAD = "new_thread"
    REPLY = "reply"
    POST_PUBLISHED = "post_published"
    POST_NOT_PUBLISHED = "post_not_published"
    REPORT_POST_REMOVED = "report_post_removed"
    REPORT_POST_STAYS = "report_post_stays"
    ANNOUNCEMENT = "announcement"
    COMPLAINT_NEW = "complaint_new"
    COMPLAINT_MESSAGE = "complaint_message"
    COMPLAINT_REPLY = "complaint_reply"
    QUESTION_REJECTED = "question_rejected"


Template = LazyString | Callable[[Mapping], str]


@dataclass(frozen=True)
class Message:
    kind: str  # a kind of preferences.py (or an unregistered one, always delivered)
    title: Template  # %(name)s placeholders filled from the parameters, or a function of them
    params: tuple[str, ...] = ()  # exactly the parameters `notify` must be given
    body: Template | None = None


class Rendered(NamedTuple):
    title: str
    body: str


def _verbatim(name: str) -> Callable[[Mapping], str]:
    """A body that is one parameter as given: an excerpt, a reviewer's reason."""
    return lambda params: str(params[name])


# The assessment steps whose closing is announced (the names of assessments/labels.py).
_STEP_NAMES = {
    "self_appraisal": _l("Self-appraisal (个人自评)"),
    "peer_review": _l("Peer appraisal (党员互评)"),
    "evaluation": _l("Anonymous evaluation (民主测评)"),
}


def _step_reminder(params: Mapping) -> str:
    return _(
        "Reminder: %(step)s of %(year)s closes soon.",
        step=str(_STEP_NAMES[params["step"]]),
        year=params["year"],
    )


def _digest_lines(params: Mapping) -> list[str]:
    """One line per thing to follow up: claims to approve, then each managed unit's members
    behind pace and meetings overdue or due."""
    lines = []
    if params["claims"]:
        lines.append(_("%(n)d study claims to approve", n=params["claims"]))
    for unit in params["units"]:
        name = unit["unit"]
        if unit["behind"]:
            lines.append(_("%(unit)s: %(n)d members behind pace", unit=name, n=unit["behind"]))
        if unit["overdue"]:
            lines.append(_("%(unit)s: %(n)d meetings overdue", unit=name, n=unit["overdue"]))
        if unit["due"]:
            lines.append(_("%(unit)s: %(n)d meetings due this period", unit=name, n=unit["due"]))
    return lines


def _digest_title(params: Mapping) -> str:
    return _("Weekly digest: %(n)d things to follow up", n=len(_digest_lines(params)))


def _digest_body(params: Mapping) -> str:
    return "\n".join(_digest_lines(params)) or _("Nothing needs your attention this week.")


MESSAGES: dict[Msg, Message] = {
    Msg.QUIZ_MARKED: Message(
        "quiz_marked",
        _l("Your answers to “%(quiz)s” have been marked"),
        ("quiz", "attempt"),
    ),
    Msg.PACE_REMINDER: Message(
        "pace_reminder",
        _l("You are behind this year's study-hour pace"),
        body=_l(
            "Your study hours so far would not reach this year's target at the current "
            "pace. Your ledger shows what has been counted."
        ),
    ),
    Msg.SECRETARY_DIGEST: Message(
        "secretary_digest", _digest_title, ("claims", "units"), _digest_body
    ),
    Msg.CLAIM_APPROVED: Message(
        "claim_decided",
        _l("Your claim of %(hours)s study hours was approved"),
        ("hours", "claim", "reason"),
        _verbatim("reason"),
    ),
    Msg.CLAIM_REJECTED: Message(
        "claim_decided",
        _l("Your claim of %(hours)s study hours was not approved"),
        ("hours", "claim", "reason"),
        _verbatim("reason"),
    ),
    Msg.SELF_APPRAISAL_OPEN: Message(
        "assessment",
        _l("The self-appraisal (个人自评) of %(year)s is open: write yours."),
        ("year", "period"),
    ),
    Msg.PEER_REVIEW_OPEN: Message(
        "assessment", _l("Peer appraisal (党员互评) of %(year)s is open."), ("year", "period")
    ),
    Msg.EVALUATION_OPEN: Message(
        "assessment",
        _l("The anonymous evaluation (民主测评) of %(year)s is open: cast your ballot."),
        ("year", "period"),
    ),
    Msg.ASSESSMENT_RESULT: Message(
        "assessment",
        _l("Your assessment result for %(year)s is available."),
        ("year", "period"),
    ),
    Msg.ASSESSMENT_REMINDER: Message(
        "assessment_reminder", _step_reminder, ("step", "year", "period")
    ),
    Msg.MENTION: Message(
        "mention",
        _l("%(name)s mentioned you in “%(title)s”"),
        ("name", "title", "thread", "post", "excerpt"),
        _verbatim("excerpt"),
    ),
    Msg.NEW_THREAD: Message(
        "new_thread",
        _l("New thread in %(board)s: %(title)s"),
        ("board", "title", "thread", "post", "excerpt"),
        _verbatim("excerpt"),
    ),
    Msg.REPLY: Message(
        "reply",
        _l("New reply in “%(title)s”"),
        ("title", "thread", "post", "excerpt"),
        _verbatim("excerpt"),
    ),
    Msg.POST_PUBLISHED: Message(
        "post_approved",
        _l("Your post in “%(title)s” has been published"),
        ("title", "thread", "post"),
    ),
    Msg.POST_NOT_PUBLISHED: Message(
        "post_rejected",
        _l("Your post in “%(title)s” was not published"),
        ("title", "thread", "post", "note"),
        _verbatim("note"),
    ),
    Msg.REPORT_POST_REMOVED: Message(
        "report_decided", _l("Your report has been handled: the post was removed"), ("post",)
    ),
    Msg.REPORT_POST_STAYS: Message(
        "report_decided", _l("Your report has been handled: the post stays"), ("post",)
    ),
    Msg.ANNOUNCEMENT: Message(
        "announcement", _l("Announcement: %(title)s"), ("title", "announcement")
    ),
    Msg.COMPLAINT_NEW: Message(
        "complaint",
        _l("New complaint or suggestion: %(subject)s"),
        ("subject", "complaint"),
    ),
    Msg.COMPLAINT_MESSAGE: Message(
        "complaint", _l("New message on “%(subject)s”"), ("subject", "complaint")
    ),
    Msg.COMPLAINT_REPLY: Message(
        "complaint_reply", _l("Reply to your message “%(subject)s”"), ("subject", "complaint")
    ),
    Msg.QUESTION_REJECTED: Message(
        "question_rejected",
        _l("A reviewer sent back your question “%(stem)s”"),
        ("stem", "question", "reason"),
        _verbatim("reason"),
    ),
}


def _fill(template: Template, params: Mapping) -> str:
    if callable(template):
        return template(params)
    return str(template) % params


def render_message(key: str, params: Mapping) -> Rendered:
    """The message in the current locale. An unknown key or a title that cannot be filled gives
    the generic line; a body that cannot be filled is left out."""
    message = MESSAGES.get(key)
    if message is None:
        return Rendered(str(GENERIC), "")
    try:
        title = _fill(message.title, params)
    except RENDER_FAILURES:
        return Rendered(str(GENERIC), "")
    body = ""
    if message.body is not None:
        try:
            body = _fill(message.body, params)
        except RENDER_FAILURES:
            body = ""
    return Rendered(" ".join(title.split())[:TITLE_CHARS], body[:BODY_CHARS])


def render(notification) -> Rendered:
    """What a notification says to the reader, in the current locale: its message, or the text
    stored with it when it was written before messages had keys."""
    if notification.message is None:
        return Rendered(notification.title, notification.body)
    return render_message(notification.message, notification.params or {})
