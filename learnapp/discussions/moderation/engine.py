"""Checking text against the word lists: block, review or pass, with the hits located.

The matcher is built once per word-list version and cached in the process; the version (a
number and a random stamp) lives in the database and every list change bumps it, so all workers
pick up a change on their next check without a restart. Allow-listed vocabulary is matched in the
same pass, and a sensitive match lying inside an allow-listed span is dropped.
"""

import threading
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.discussions.models import (
    AllowedTerm,
    SensitiveTerm,
    WordAction,
    WordCategory,
    WordListVersion,
)
from learnapp.discussions.moderation.ahocorasick import Automaton
from learnapp.discussions.moderation.normalize import normalise, normalise_term

SEVERITY = {WordAction.PASS: 1, WordAction.REVIEW: 2, WordAction.BLOCK: 3}
ACTION_OF = {severity: action for action, severity in SEVERITY.items()}
_ALLOWED = ("allow",)


class Hit(NamedTuple):
    """A sensitive term found in a text (a tuple: hundreds are built per check)."""

    term: str
    category: str
    action: WordAction
    start: int  # in the original text
    end: int


class Verdict:
    """The worst action among the hits and the terms that hit. The located hits (for
    highlighting) are worked out only when asked for: posting needs the action and the terms."""

    __slots__ = ("_build", "_hits", "_payloads", "action")

    def __init__(self, action: WordAction | None, payloads=frozenset(), build=tuple):
        self.action = action
        self._payloads = payloads
        self._build = build
        self._hits: tuple[Hit, ...] | None = None

    @property
    def hits(self) -> tuple[Hit, ...]:
        if self._hits is None:
            self._hits = self._build()
        return self._hits

    def terms(self) -> list[str]:
        return sorted({term for _kind, term, _category, _action in self._payloads})

    @classmethod
    def combine(cls, verdicts: list["Verdict"]) -> "Verdict":
        """One verdict over several texts: the worst action, all terms and hits."""
        payloads = frozenset().union(*(v._payloads for v in verdicts))
        if not payloads:
            return NOTHING
        return cls(
            _worst(payloads),
            payloads,
            lambda: tuple(hit for verdict in verdicts for hit in verdict.hits),
        )


NOTHING = Verdict(None)


def _worst(payloads) -> WordAction:
    return ACTION_OF[max(SEVERITY[action] for _kind, _term, _category, action in payloads)]


class Matcher:
    def __init__(self, terms: list[tuple[str, str, WordAction]], allowed: list[str]):
        patterns = []
        for term, category, action in terms:
            folded = normalise_term(term)
            if folded:
                patterns.append((folded, ("term", term, category, action)))
        for term in allowed:
            folded = normalise_term(term)
            if folded:
                patterns.append((folded, _ALLOWED))
        self.automaton = Automaton(patterns)

    def check(self, text: str) -> Verdict:
        folded, positions = normalise(text)
        ends = self.automaton.outputs_at(folded)
        payloads = set()
        allowed_spans = []
        for end, output in ends:
            for length, payload in output:
                if payload is _ALLOWED:
                    allowed_spans.append((end - length, end))
                else:
                    payloads.add(payload)
        if not payloads:
            return NOTHING

        def located():
            return (
                (end - length, end, payload)
                for end, output in ends
                for length, payload in output
                if payload is not _ALLOWED
            )

        found = None
        if allowed_spans:
            # A match lying inside the party's own vocabulary is not a hit.
            found = [
                (start, end, payload)
                for start, end, payload in located()
                if not any(a <= start and end <= b for a, b in allowed_spans)
            ]
            payloads = {payload for _start, _end, payload in found}
            if not payloads:
                return NOTHING

        def build() -> tuple[Hit, ...]:
            return tuple(
                Hit(term, category, action, positions[start], positions[end - 1] + 1)
                for start, end, (_kind, term, category, action) in (found or located())
            )

        return Verdict(_worst(payloads), frozenset(payloads), build)


_lock = threading.Lock()
_cached: dict[tuple, Matcher] = {}


def load_matcher(session: Session) -> Matcher:
    rows = session.execute(
        sa.select(SensitiveTerm.term, WordCategory.name, WordCategory.action).join(
            WordCategory, SensitiveTerm.category_id == WordCategory.id
        )
    ).all()
    allowed = session.scalars(sa.select(AllowedTerm.term)).all()
    return Matcher([tuple(row) for row in rows], list(allowed))


def current_matcher(session: Session) -> Matcher:
    """The matcher of the lists' current version (one small query when it is cached)."""
    row = session.execute(
        sa.select(WordListVersion.version, WordListVersion.stamp).where(WordListVersion.id == 1)
    ).first()
    if row is None:
        return load_matcher(session)
    key = tuple(row)
    matcher = _cached.get(key)
    if matcher is None:
        matcher = load_matcher(session)
        with _lock:
            _cached.clear()
            _cached[key] = matcher
    return matcher


def check_text(session: Session, *texts: str) -> Verdict:
    """One verdict over several texts (a title and a body): the worst action, all hits."""
    matcher = current_matcher(session)
    return Verdict.combine([matcher.check(text) for text in texts if text])


def highlight(text: str, hits) -> list[tuple[str, bool]]:
    """The text cut into (segment, is_hit) pieces for display; overlapping hits merge."""
    spans = sorted((hit.start, hit.end) for hit in hits)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces = []
    cursor = 0
    for start, end in merged:
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces
