"""What each notification says, rendered when it is read.

A notification stores a message key and the parameters interpolated into it (names, titles,
numbers, ids), never the sentence: the reader sees it in the language they use now, and a wording
fix reaches the notifications already sent. Each package declares the messages it sends with
`declare`, at import time and beside the code that sends them, as it registers their kinds
(preferences.py): the key, the kind (what members mute) and the parameters it takes; `notify`
refuses any message not declared. Keys are stored with each notification: a message is retired
by leaving its declaration in place, unsent, never by renaming or removing it.

A message that quotes something which may change after it was sent (the text of a post, later
edited or deleted) declares a `refresh`: the list page hands it the parameters of the
notifications it shows, and it returns them as they are now, so an edited post reads as edited
and a deleted one no longer shows its text. One call per page, whatever its size.

Notifications written before messages had keys have none and show the text stored with them.
Rendering never raises: an unknown key, a missing parameter or one of the wrong type gives a
generic line. The result is plain text, escaped by the templates like any other, so a title a
person typed shows as typed.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

TITLE_CHARS = 200
BODY_CHARS = 1000
KEY_CHARS = 48
GENERIC = _l("You have a notification.")
# Failures of interpolating stored parameters: a key missing, a number that is text, a list
# where a mapping was meant.
RENDER_FAILURES = (KeyError, IndexError, TypeError, ValueError)

Template = LazyString | Callable[[Mapping], str]
# The stored parameters of some notifications → the same parameters as they are now, in order.
Refresh = Callable[[Session, list[Mapping]], list[Mapping]]


@dataclass(frozen=True)
class Message:
    key: str  # stored on each notification
    kind: str  # a kind of preferences.py (or an unregistered one, always delivered)
    title: Template  # %(name)s placeholders filled from the parameters, or a function of them
    params: tuple[str, ...] = ()  # exactly the parameters `notify` must be given
    body: Template | None = None
    refresh: Refresh | None = None


class Rendered(NamedTuple):
    title: str
    body: str


MESSAGES: dict[str, Message] = {}


def declare(
    key: str,
    kind: str,
    title: Template,
    params: tuple[str, ...] = (),
    body: Template | None = None,
    refresh: Refresh | None = None,
) -> Message:
    """Declare a message a package sends; what `notify` is given. A key is declared once."""
    if len(key) > KEY_CHARS:
        raise ValueError(f"message key {key!r} is longer than {KEY_CHARS} characters")
    if key in MESSAGES:
        raise ValueError(f"message {key!r} is declared already")
    MESSAGES[key] = message = Message(key, kind, title, tuple(params), body, refresh)
    return message


def verbatim(name: str) -> Callable[[Mapping], str]:
    """A body that is one parameter as given: an excerpt, a reviewer's reason."""
    return lambda params: str(params[name])


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


def render(notification, params: Mapping | None = None) -> Rendered:
    """What a notification says to the reader, in the current locale: its message (with
    `params` in place of the stored ones when given), or the text stored with it when it was
    written before messages had keys."""
    if notification.message is None:
        return Rendered(notification.title, notification.body)
    if params is None:
        params = notification.params or {}
    return render_message(notification.message, params)


def render_all(session: Session, notifications: Sequence) -> list[Rendered]:
    """What each of a page of notifications says now: the parameters of messages that declare
    a `refresh` are brought up to date first, one call per refresh for the whole page."""
    current = [n.params or {} for n in notifications]
    batches: dict[Refresh, list[int]] = {}
    for index, notification in enumerate(notifications):
        message = MESSAGES.get(notification.message or "")
        if message is not None and message.refresh is not None:
            batches.setdefault(message.refresh, []).append(index)
    for refresh, indexes in batches.items():
        fresh = refresh(session, [current[i] for i in indexes])
        for index, params in zip(indexes, fresh, strict=True):
            current[index] = params
    return [render(n, params) for n, params in zip(notifications, current, strict=True)]
