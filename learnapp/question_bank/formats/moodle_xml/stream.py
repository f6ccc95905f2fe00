"""Moodle XML read safely: one `<question>` element at a time, with the line it starts on.

Expat through defusedxml's parser, with every declaration refused (security.md §6.3 #48): a
file with a document type (`<!DOCTYPE …>`) is refused outright, since Moodle never writes one
and it is where entity bombs (billion laughs) and external entities (XXE: a file or URL read
into the text) live. Without a DTD an entity other than the five predefined ones is a
well-formedness error. Nothing is fetched, nothing is written. Elements are kept only while their
question is read, so memory follows the largest question, not the file; nesting depth and the
elements of one question are bounded. The file's size is bounded by the importer.
"""

from collections.abc import Iterator
from pyexpat import ErrorString, errors
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from flask_babel import lazy_gettext as _l

# Moodle nests at most about seven levels (quiz › question › answer › feedback › text).
MAX_DEPTH = 20
# A question with 100 answers, each with feedback and files, stays far below this.
MAX_ELEMENTS = 5000
CHUNK = 64 * 1024
# Expat's reasons are English: the ones a hand-edited or truncated file gives, in words.
REASONS = {
    errors.codes[errors.XML_ERROR_SYNTAX]: _l("a syntax error"),
    errors.codes[errors.XML_ERROR_NO_ELEMENTS]: _l("the file ends before the XML is complete"),
    errors.codes[errors.XML_ERROR_INVALID_TOKEN]: _l(
        "a character not allowed here (write &lt; for < and &amp; for &)"
    ),
    errors.codes[errors.XML_ERROR_UNCLOSED_TOKEN]: _l("an unfinished tag"),
    errors.codes[errors.XML_ERROR_TAG_MISMATCH]: _l(
        "a closing tag that does not match its opening tag"
    ),
    errors.codes[errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]: _l("content after the closing </quiz>"),
    errors.codes[errors.XML_ERROR_UNDEFINED_ENTITY]: _l(
        "an entity XML does not define, such as &nbsp; (write &amp; for &)"
    ),
}


class Refused(Exception):
    """The file as a whole cannot be read; nothing of it is imported."""

    def __init__(self, line: int | None, message):
        super().__init__(message)
        self.line = line
        self.message = message


class _Target:
    """Expat's callbacks: builds the tree of the current `<question>` only."""

    def __init__(self, line):
        self.line = line  # () -> the line expat is on
        self.depth = 0
        self.builder: TreeBuilder | None = None
        self.start_line = 0
        self.elements = 0
        self.ready: list[tuple[int, Element]] = []

    def start(self, tag: str, attrs: dict) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused(
                self.line(),
                _l("The elements are nested more than %(n)d levels deep.", n=MAX_DEPTH),
            )
        if self.depth == 1 and tag != "quiz":
            raise Refused(
                self.line(),
                _l(
                    "This is not a Moodle XML question file: it starts with <%(tag)s>, not <quiz>.",
                    tag=tag[:40],
                ),
            )
        if self.depth == 2 and tag == "question":
            self.builder, self.start_line, self.elements = TreeBuilder(), self.line(), 0
        if self.builder is not None:
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                raise Refused(
                    self.start_line,
                    _l("A question has more than %(n)d elements.", n=MAX_ELEMENTS),
                )
            self.builder.start(tag, attrs)

    def end(self, tag: str) -> None:
        if self.builder is not None:
            self.builder.end(tag)
            if self.depth == 2:
                self.ready.append((self.start_line, self.builder.close()))
                self.builder = None
        self.depth -= 1

    def data(self, text: str) -> None:
        if self.builder is not None:
            self.builder.data(text)

    def close(self) -> None:
        return None

    def drain(self) -> list[tuple[int, Element]]:
        ready, self.ready = self.ready, []
        return ready


def questions(data: bytes) -> Iterator[tuple[int, Element]]:
    """(line, element) for each `<question>` child of `<quiz>`, in file order. Raises Refused
    for a DTD, malformed XML, another root element or a nesting past the limits."""
    target = _Target(lambda: expat.CurrentLineNumber)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    expat = parser.parser
    try:
        for start in range(0, len(data), CHUNK):
            parser.feed(data[start : start + CHUNK])
            yield from target.drain()
        parser.close()
    except DefusedXmlException:
        raise Refused(
            expat.CurrentLineNumber,
            _l(
                "The file declares a document type (<!DOCTYPE …>) or entities. Moodle XML never "
                "needs them, and they can make the reader expand text without end or read other "
                "files, so the file is refused. Export it from Moodle again or remove the "
                "declaration."
            ),
        ) from None
    except ValueError:
        # pyexpat reads single-byte encodings and UTF-8/16 only.
        raise Refused(
            expat.CurrentLineNumber,
            _l(
                "The file declares an encoding the XML reader does not support (such as GBK): "
                "save it as UTF-8, as Moodle exports it."
            ),
        ) from None
    except ParseError as error:
        line, column = error.position
        raise Refused(
            line,
            _l(
                "The file is not well-formed XML: %(reason)s (line %(line)d, column %(column)d).",
                reason=REASONS.get(error.code) or ErrorString(error.code),
                line=line,
                column=column + 1,
            ),
        ) from None
    yield from target.drain()
