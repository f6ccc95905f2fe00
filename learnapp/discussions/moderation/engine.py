"""Checking text against the word lists: block, review or pass, with the hits located.

The matcher is built once per word-list version and cached in the process; the version (a
number and a random stamp) lives in the database and every list change bumps it, so all workers
pick up a change on their next check without a restart. Allow-listed vocabulary is matched in the
same pass, and a sensitive match lying inside an allow-listed span is dropped.
"""

import threading
from dataclasses import dataclass

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
_ALLOWED = ("allow",)


@dataclass(frozen=True)
class Hit:
    term: str
    category: str
    action: WordAction
    start: int  # in the original text
    end: int


@dataclass(frozen=True)
class Verdict:
    action: WordAction | None
    hits: tuple[Hit, ...]

    @property
    def holds(self) -> bool:
        return self.action in (WordAction.BLOCK, WordAction.REVIEW)

    def terms(self) -> list[str]:
        return sorted({hit.term for hit in self.hits})


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
        self.term_count = len(terms)

    def check(self, text: str) -> Verdict:
        folded, positions = normalise(text)
        allowed_spans = []
        found = []
        for start, end, payload in self.automaton.iter_matches(folded):
            if payload is _ALLOWED:
                allowed_spans.append((start, end))
            else:
                found.append((start, end, payload))
        hits = []
        for start, end, (_kind, term, category, action) in found:
            if any(a <= start and end <= b for a, b in allowed_spans):
                continue
            hits.append(Hit(term, category, action, positions[start], positions[end - 1] + 1))
        if not hits:
            return Verdict(None, ())
        worst = max(hits, key=lambda hit: SEVERITY[hit.action]).action
        return Verdict(worst, tuple(hits))


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
    verdicts = [matcher.check(text) for text in texts if text]
    hits = tuple(hit for verdict in verdicts for hit in verdict.hits)
    if not hits:
        return Verdict(None, ())
    return Verdict(max(hits, key=lambda hit: SEVERITY[hit.action]).action, hits)


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
