"""The Markdown of discussion posts, beyond the standard extensions: small headings, text shown
as typed, and fence lines that cannot make the renderer crawl. Sanitising is sanitize.py's."""

import re

from markdown.extensions import Extension
from markdown.inlinepatterns import BACKTICK_RE, BacktickInlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# Attributes that hold text for the reader (an image's alt becomes a link's text in posts).
TEXT_ATTRIBUTES = ("alt", "title")


class _SmallHeadings(Treeprocessor):
    """A heading in a post belongs to one message, not to the page's outline: "#" becomes the
    small h5 and every deeper level h6 (the page's own headings stay above them)."""

    def run(self, root):
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1] in "123456":
                element.tag = f"h{min(int(element.tag[1]) + 4, 6)}"


class _PostHeadings(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_SmallHeadings(md), "small_headings", 5)


class _KeptBackslashes(BacktickInlineProcessor):
    """Backslashes before a code span, each kept as typed (Python-Markdown halves them)."""

    def handleMatch(self, m, data):
        if m.group(1):
            return m.group(1).replace("\\", self.ESCAPED_BSLASH), m.start(0), m.end(0)
        return super().handleMatch(m, data)


def _amp(text: str) -> str:
    return text.replace("&", "&amp;")


class _AmpersandsAsText(Treeprocessor):
    """Every "&" of the text escaped, so that "&lt;" shows as those four characters: Python-
    Markdown's serializer leaves alone whatever looks like an entity. Atomic text (code) is
    escaped already."""

    def run(self, root):
        for element in root.iter():
            if element.text and not isinstance(element.text, AtomicString):
                element.text = _amp(element.text)
            if element.tail and not isinstance(element.tail, AtomicString):
                element.tail = _amp(element.tail)
            for name in TEXT_ATTRIBUTES:
                if element.get(name):
                    element.set(name, _amp(element.get(name)))


class _TextAsTyped(Extension):
    """A post's text shows as typed (security.md §6.1 #27): "&lt;" is those four characters,
    not "<", and a backslash is text, a pair of them too. A backslash still keeps the Markdown
    mark after it from formatting ("\\*" shows "*"): that is how a member writes a literal "*".
    Raw HTML tags stay Markdown's, and the sanitiser's, to handle."""

    def extendMarkdown(self, md):
        md.inlinePatterns.deregister("entity")
        md.ESCAPED_CHARS = [char for char in md.ESCAPED_CHARS if char != "\\"]
        md.inlinePatterns.register(_KeptBackslashes(BACKTICK_RE), "backtick", 190)
        # After the inline patterns (20), which leave the text final.
        md.treeprocessors.register(_AmpersandsAsText(md), "ampersands_as_text", 15)


def post_extensions() -> list[Extension]:
    return [_PostHeadings(), _TextAsTyped()]


# Python-Markdown's fence pattern splits a run of spaces after "```" in every possible way
# before it gives up: 20,000 spaces on a fence line took 7 s of a worker. The spaces of a fence
# line only separate its words, so each run of them becomes one space first.
FENCE_LINE = re.compile(r"^( {0,3}(?:`{3,}|~{3,}))([^\n]*)$", re.MULTILINE)
BLANKS = re.compile(r"[ \t]+")


def tidy_fence_lines(source: str) -> str:
    return FENCE_LINE.sub(lambda m: m.group(1) + BLANKS.sub(" ", m.group(2)), source)
