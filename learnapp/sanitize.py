"""The only module that imports bleach: user and content HTML is cleaned here, once, on write.

Markdown is rendered first and sanitised after, never the other way round: every Markdown
renderer passes raw HTML through (security.md §1.8). The allow-list has no svg, math, iframe,
style or event attributes; links may be http, https or mailto and get rel="nofollow noopener";
images are kept only when they point at the platform's own uploads. Swapping bleach for nh3 is a
change to this file alone.
"""

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import bleach
import markdown as markdown_lib
from bleach import html5lib_shim
from bleach.linkifier import URL_RE, Linker

MAX_SOURCE_CHARS = 100_000
UPLOAD_PREFIX = "/media/"

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Bidirectional overrides and isolates can disguise text and file names (security.md §6.1 #28).
SAFE_HREF = re.compile(r"^(?:https?://|mailto:|/(?![/\\]))", re.IGNORECASE)
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# One file name directly under the uploads path: no "..", no further "/", no "%" escapes, no
# query, so "/media/../logout" cannot become a same-site GET (security.md §6.1 #12).
UPLOAD_SRC = re.compile(r"^" + re.escape(UPLOAD_PREFIX) + r"(?!\.)[A-Za-z0-9_.\-]{1,128}\Z")


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        if name == "href":
            # Absolute http(s)/mailto, or a path on this site; never protocol-relative.
            return bool(SAFE_HREF.match(value))
        return name == "title"
    if tag == "img":
        if name == "src":
            return bool(UPLOAD_SRC.match(value)) and ".." not in value
        return name in ("alt", "title")
    if tag in ("td", "th"):
        return name == "align" and value in ("left", "center", "right")
    if tag == "abbr":
        return name == "title"
    return False


# Elements whose content is code, styling, a fallback or an embedded document, never text for
# the reader: stripping only their tags would show "alert(1)" or CSS in a lesson. They go
# whole, with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {
        "applet",
        "embed",
        "frameset",
        "iframe",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "script",
        "style",
        "template",
        "textarea",
        "title",
    }
)


def _without_dropped_elements(tokens):
    """The tree walker's tokens minus every DROPPED_WITH_CONTENT element and its content. The
    walker works on a parsed tree, so start and end tags are balanced and a depth suffices."""
    depth = 0
    for token in tokens:
        kind = token["type"]
        dropped = kind in ("StartTag", "EndTag", "EmptyTag") and (
            (token.get("name") or "").lower() in DROPPED_WITH_CONTENT
        )
        if dropped and kind == "StartTag":
            depth += 1
        elif dropped and kind == "EndTag":
            depth = max(depth - 1, 0)
        elif not dropped and depth == 0:
            yield token


class _Cleaner(bleach.Cleaner):
    """bleach's Cleaner, dropping DROPPED_WITH_CONTENT elements before it sanitises the rest
    (bleach with strip=True removes a disallowed tag but keeps its text)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The parser must keep these elements (it strips disallowed tags as it reads, leaving
        # their text) so that the walker can see where they end.
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=frozenset(self.tags) | DROPPED_WITH_CONTENT,
            strip=self.strip,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        walker = self.walker
        self.walker = lambda tree: _without_dropped_elements(walker(tree))


_cleaner = _Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_attribute_allowed,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)
# Plain text (titles, previews, notifications): no tags at all, and no script or style text.
_text_cleaner = _Cleaner(tags=set(), strip=True, strip_comments=True)


# Link text that names a site ("paypal.com", "https://bank.example/…").
DOMAIN_TEXT = re.compile(r"^\s*(?:https?://)?([^\s/@]+\.[^\s/@]+)", re.IGNORECASE)


def _ascii_host(host: str) -> str | None:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _show_real_host(attrs, href: str) -> bool:
    """Homographs (security.md §6.1 #29): a non-ASCII host is shown as punycode, and link text
    that names another site than the link's gets the real host appended. False: drop the link."""
    parts = urlsplit(href)
    host = _ascii_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        return False
    if not host:
        return False
    # Rebuilt from host and port: user info ("https://bank.example@evil.example") is dropped.
    bracketed = f"[{host}]" if ":" in host else host
    netloc = f"{bracketed}:{port}" if port else bracketed
    if netloc != parts.netloc:
        ascii_href = urlunsplit(parts._replace(netloc=netloc))
        if attrs.get("_text") == href:
            attrs["_text"] = ascii_href
        attrs[(None, "href")] = ascii_href
    text = attrs.get("_text") or ""
    named = DOMAIN_TEXT.match(text)
    if named and text != attrs[(None, "href")]:
        claimed = _ascii_host(named.group(1).split(":")[0].rstrip("."))
        if claimed != host:
            attrs["_text"] = f"{text} [{host}]"
    return True


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith(("http:", "https:", "mailto:")):
        attrs[(None, "rel")] = "nofollow noopener noreferrer"
    if href.lower().startswith(("http:", "https:")) and not _show_real_host(attrs, href):
        del attrs[href_key]
    return attrs


# bleach's URL pattern starts with "\(*": at every "(" of a long run it consumed the rest of the
# run and backtracked (20,000 "(" took 15 s). Starting only at the first "(" of a run matches
# the same URLs in linear time.
URL_PATTERN = re.compile(r"(?<!\()" + URL_RE.pattern, URL_RE.flags)
_linker = Linker(
    callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False, url_re=URL_PATTERN
)


# Python-Markdown looks for the "]" closing each "[" by scanning on to the end of the paragraph,
# so unmatched brackets make rendering quadratic (256 of them before 20,000 characters: 5 s of a
# worker). A "[" that no "]" closes within LINK_TEXT_CHARS cannot open a usable link: when a post
# has more than a few of them, they are escaped (shown as typed). Ordinary posts are left alone.
LINK_TEXT_CHARS = 200
STRAY_BRACKETS = 8
BRACKET = re.compile(r"\\.|[\[\]]", re.DOTALL)


def escape_stray_brackets(text: str) -> str:
    """The Markdown source with its stray "[" escaped (see LINK_TEXT_CHARS)."""
    opened: list[int] = []
    stray: list[int] = []
    for match in BRACKET.finditer(text):
        if match.group() == "[":
            opened.append(match.start())
        elif match.group() == "]" and opened:
            start = opened.pop()
            if match.start() - start > LINK_TEXT_CHARS:
                stray.append(start)
    stray.extend(opened)
    if len(stray) <= STRAY_BRACKETS:
        return text
    pieces, cursor = [], 0
    for index in sorted(stray):
        pieces.append(text[cursor:index])
        pieces.append("\\[")
        cursor = index + 1
    pieces.append(text[cursor:])
    return "".join(pieces)


class SourceTooLong(ValueError):
    """Refused before any parsing: a cap, not a crash (security.md §6.1 #31)."""


def strip_bidi(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def clean_html(html: str) -> str:
    """Sanitise HTML to the allow-list; links get rel=nofollow noopener."""
    if len(html) > MAX_SOURCE_CHARS * 4:
        raise SourceTooLong(len(html))
    cleaned = _cleaner.clean(html)
    # Image tags that lost their src are useless noise.
    cleaned = re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)
    return _linker.linkify(cleaned)


def render_markdown(source: str) -> str:
    """Markdown → HTML → sanitised HTML. Raises SourceTooLong above the length cap."""
    if len(source) > MAX_SOURCE_CHARS:
        raise SourceTooLong(len(source))
    text = escape_stray_brackets(strip_bidi(unicodedata.normalize("NFC", source)))
    html = markdown_lib.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return clean_html(html)


def plain_text(source: str, limit: int | None = None) -> str:
    """Text with every tag removed (titles, previews, notifications)."""
    text = strip_bidi(_text_cleaner.clean(source))
    return text[:limit] if limit else text
