"""A heuristic for spam that wraps scraped pages: many links, text that is mostly links, and long
runs of short unrelated keywords. It routes to review; it never rejects on its own."""

import re
from collections import Counter

URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
# Bounded, and stopping at the next "[": linear even on a post of 20,000 "[".
MARKDOWN_LINK = re.compile(r"\[[^\[\]]{0,200}\]\([^()\s]{0,1000}\)")
HTML_LINK = re.compile(r"<a\s", re.IGNORECASE)
# Keyword lists are short fragments joined by separators with no sentence in between.
SEPARATORS = re.compile(r"[\s,，、|/;；·]+")
SENTENCE_END = re.compile(r"[。！？]|[!?.](?:\s|$)")

MAX_LINKS = 5
LINK_DENSITY = 0.5  # share of the text (in bytes) taken by links, with at least 3 links
KEYWORD_RUN = 15  # consecutive short fragments
KEYWORD_CHARS = 8
REPEATED_KEYWORD = 6


def spam_signals(source: str) -> list[str]:
    """Names of the signals that fired (empty: looks like a person wrote it)."""
    signals = []
    # A Markdown link counts once, not again for the URL inside it.
    links = MARKDOWN_LINK.findall(source) + URL.findall(MARKDOWN_LINK.sub(" ", source))
    link_count = len(links) + len(HTML_LINK.findall(source))
    if link_count > MAX_LINKS:
        signals.append("links")
    # In UTF-8 bytes: a Chinese character says about as much as a few letters of a URL, so a
    # paragraph of Chinese prose with a few links is not "mostly links".
    text_chars = len(re.sub(r"\s+", "", source).encode()) or 1
    link_chars = sum(len(link.encode()) for link in links)
    if link_count >= 3 and link_chars / text_chars > LINK_DENSITY:
        signals.append("link_density")
    longest = run = 0
    fragments = [f for f in SEPARATORS.split(SENTENCE_END.sub(" . ", source)) if f]
    for fragment in fragments:
        if fragment != "." and len(fragment) <= KEYWORD_CHARS and not URL.match(fragment):
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    if longest >= KEYWORD_RUN:
        signals.append("keyword_run")
    counts = Counter(f.casefold() for f in fragments if 1 < len(f) <= KEYWORD_CHARS)
    if counts and counts.most_common(1)[0][1] >= REPEATED_KEYWORD and len(fragments) >= 10:
        signals.append("repeated_keywords")
    return signals
