"""The to-do inbox: what a secretary, moderator or marker has to act on, and a member's own open
assessment steps.

Each package that creates work for a person registers a provider: a function of
(session, user) returning the items that user has to act on now. The inbox page and the home
page show the items of every provider, so a package adds to the inbox without the inbox knowing
about it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class InboxItem:
    """One line of the inbox: `count` things of one kind, and where to act on them."""

    kind: str  # stable key, e.g. "claims", for tests and data-testid attributes
    label: str  # translated, shown to the user
    count: int
    url: str
    overdue: bool = False


Provider = Callable[[Session, object], list[InboxItem]]
PROVIDERS: list[Provider] = []


def provider(function: Provider) -> Provider:
    """Register `function` as an inbox provider (used as a decorator at import time)."""
    if function not in PROVIDERS:
        PROVIDERS.append(function)
    return function


def items_for(session: Session, user) -> list[InboxItem]:
    """Every provider's items for `user`, dropping empty ones, overdue first."""
    items = [item for source in PROVIDERS for item in source(session, user) if item.count > 0]
    return sorted(items, key=lambda item: not item.overdue)
