"""Normalisation before matching: what evasions (全角, 繁體, CaSe, n.o.i.s.e) have in common.

Each character is folded on its own: NFKC (full width → half width, compatibility forms), case
fold, traditional → simplified, and punctuation, symbols, spaces and invisible format characters
dropped, so noise between letters disappears. The position of every output character in the
input is kept, so that a match can be shown in the original text.
"""

import unicodedata

from learnapp.discussions.moderation.t2s import T2S

NOISE_CATEGORIES = frozenset("PSZC")
_CACHE_LIMIT = 65_536
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
    folded = _folded
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        out = folded.get(char)
        if out is None:
            out = fold_char(char)
            if len(folded) < _CACHE_LIMIT:
                folded[char] = out
        if not out:
            continue
        chars.append(out)
        if len(out) == 1:
            positions.append(index)
        else:
            positions.extend([index] * len(out))
    return "".join(chars), positions


def normalise_term(term: str) -> str:
    return normalise(term)[0]
