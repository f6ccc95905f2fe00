"""Normalisation before matching: what evasions (全角, 繁體, CaSe, n.o.i.s.e) have in common.

Each character is folded on its own: NFKC (full width → half width, compatibility forms), case
fold, traditional → simplified, and punctuation, symbols, spaces and invisible format characters
dropped, so noise between letters disappears. The position of every output character in the
input is kept, so that a match can be shown in the original text.
"""

import unicodedata
from itertools import compress

from learnapp.discussions.moderation.t2s import T2S

NOISE_CATEGORIES = frozenset("PSZC")
_CACHE_LIMIT = 65_536
# Per character, its folded form; filled on first sight (dict writes are atomic, and two threads
# folding the same character write the same value).
_folded: dict[str, str] = {}


def fold_char(char: str) -> str:
    out = []
    for part in unicodedata.normalize("NFKC", char).casefold():
        if unicodedata.category(part)[0] in NOISE_CATEGORIES:
            continue
        out.append(T2S.get(part, part))
    return "".join(out)


def normalise(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index it came from in `text`."""
    lookup = _folded.__getitem__
    try:
        pieces = list(map(lookup, text))
    except KeyError:
        unseen = set(text).difference(_folded)
        if len(_folded) + len(unseen) > _CACHE_LIMIT:
            return normalise_slowly(text)
        for char in unseen:
            _folded[char] = fold_char(char)
        pieces = list(map(lookup, text))
    folded = "".join(pieces)
    if len(text) - pieces.count("") != len(folded):
        return normalise_slowly(text)  # a character folds to several (㈱ → (株))
    # Each surviving character came from one input character: keep their indexes (all in C).
    return folded, list(compress(range(len(text)), pieces))


def normalise_slowly(text: str) -> tuple[str, list[int]]:
    """The same, character by character: the reference, and the path for characters that fold
    to several (㈱ → (株)) or when the cache is full."""
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        out = _folded.get(char)
        if out is None:
            out = fold_char(char)
        if not out:
            continue
        chars.append(out)
        positions.extend([index] * len(out))
    return "".join(chars), positions


def normalise_term(term: str) -> str:
    return normalise(term)[0]
