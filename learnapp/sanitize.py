"""The only module that imports bleach: user and content HTML is cleaned here, once, on write.

Markdown is rendered first and sanitised after, never the other way round: every Markdown
renderer passes raw HTML through (security.md §1.8). The allow-list has no svg, math, iframe,
style or event attributes; links may be http, https or mailto and get rel="nofollow noopener";
images are kept only when they point at the platform's own uploads (in posts, an image from
elsewhere becomes a link to it). Swapping bleach for nh3 is a change to this file alone.
"""

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import bleach
import markdown as markdown_lib
from bleach import html5lib_shim
from bleach.linkifier import URL_RE, Linker, LinkifyFilter

from learnapp.lesson_markdown import lesson_extensions
from learnapp.post_markdown import post_extensions, tidy_fence_lines

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
EXTERNAL_SRC = re.compile(r"^https?://", re.IGNORECASE)
# The one class a link may carry: the link a post shows in place of an image from elsewhere
# (the stylesheet marks it as an image).
IMAGE_LINK_CLASS = "external-image"


def _own_image(src: str) -> bool:
    return bool(UPLOAD_SRC.match(src)) and ".." not in src


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        if name == "href":
            # Absolute http(s)/mailto, or a path on this site; never protocol-relative.
            return bool(SAFE_HREF.match(value))
        if name == "class":
            return value == IMAGE_LINK_CLASS
        return name == "title"
    if tag == "img":
        if name == "src":
            return _own_image(value)
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


def _images_as_links(tokens):
    """The walker's tokens with each image from elsewhere replaced by a link to it, named by its
    alt text or else its address: the image is not loaded (another site would learn who reads
    the post), but the reader sees that something was there and can open it. An image that is
    neither the platform's nor http(s), or one inside a link, leaves its alt text only."""
    in_link = 0
    for token in tokens:
        kind, name = token["type"], (token.get("name") or "").lower()
        if name == "a" and kind == "StartTag":
            in_link += 1
        elif name == "a" and kind == "EndTag":
            in_link = max(in_link - 1, 0)
        if not (kind == "EmptyTag" and name == "img"):
            yield token
            continue
        attrs = token["data"]
        src = (attrs.get((None, "src")) or "").strip()
        if _own_image(src):
            yield token
            continue
        alt = " ".join((attrs.get((None, "alt")) or "").split())
        if in_link or not EXTERNAL_SRC.match(src):
            if alt:
                yield {"type": "Characters", "data": alt}
            continue
        namespace = token.get("namespace")
        link = {(None, "href"): src, (None, "class"): IMAGE_LINK_CLASS}
        yield {"type": "StartTag", "name": "a", "namespace": namespace, "data": link}
        yield {"type": "Characters", "data": alt or src}
        yield {"type": "EndTag", "name": "a", "namespace": namespace}


class _Cleaner(bleach.Cleaner):
    """bleach's Cleaner, dropping DROPPED_WITH_CONTENT elements before it sanitises the rest
    (bleach with strip=True removes a disallowed tag but keeps its text), and applying
    `transform` to the remaining tokens before they are sanitised."""

    def __init__(self, transform=None, **kwargs):
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
        if transform is None:
            self.walker = lambda tree: _without_dropped_elements(walker(tree))
        else:
            self.walker = lambda tree: transform(_without_dropped_elements(walker(tree)))


_ALLOWED = {
    "tags": ALLOWED_TAGS,
    "attributes": _attribute_allowed,
    "protocols": ALLOWED_PROTOCOLS,
    "strip": True,
    "strip_comments": True,
}
_cleaner = _Cleaner(**_ALLOWED)
# Posts: the same allow-list; images from elsewhere become links instead of vanishing.
_post_cleaner = _Cleaner(transform=_images_as_links, **_ALLOWED)
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
NOT_LINKIFIED = frozenset({"pre", "code"})
_linker = Linker(
    callbacks=[_set_rel], skip_tags=NOT_LINKIFIED, parse_email=False, url_re=URL_PATTERN
)
_entity_tokens = LinkifyFilter(source=iter(())).extract_entities


def _entities_in_code(tokens):
    """The linker's tokens with the entities of code turned into tokens. bleach's linkifier does
    that for the text it links but passes the text of its skipped tags (pre, code) on as it is,
    and its serializer then escapes the "&" of each entity: `x < 1` in code showed as
    "x &lt; 1"."""
    depth = 0
    for token in tokens:
        kind = token["type"]
        if kind in ("StartTag", "EndTag") and token["name"] in NOT_LINKIFIED:
            depth = depth + 1 if kind == "StartTag" else max(depth - 1, 0)
        if depth and kind == "Characters":
            yield from _entity_tokens(token)
        else:
            yield token


_linker_walker = _linker.walker
_linker.walker = lambda tree: _entities_in_code(_linker_walker(tree))


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


def _sanitise(html: str, cleaner: _Cleaner) -> str:
    if len(html) > MAX_SOURCE_CHARS * 4:
        raise SourceTooLong(len(html))
    cleaned = cleaner.clean(html)
    # Image tags that lost their src are useless noise.
    cleaned = re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)
    return _linker.linkify(cleaned)


def clean_html(html: str) -> str:
    """Sanitise HTML to the allow-list; links get rel=nofollow noopener."""
    return _sanitise(html, _cleaner)


def _markdown(source: str, extensions: list) -> str:
    if len(source) > MAX_SOURCE_CHARS:
        raise SourceTooLong(len(source))
    text = escape_stray_brackets(strip_bidi(unicodedata.normalize("NFC", source)))
    return markdown_lib.markdown(text, extensions=extensions, output_format="html")


def render_markdown(source: str) -> str:
    """Lesson Markdown → HTML → sanitised HTML, with no h1 (lesson_markdown). Raises
    SourceTooLong above the length cap."""
    extensions = ["tables", "sane_lists", *lesson_extensions()]
    return _sanitise(_markdown(source, extensions), _cleaner)


def render_post_markdown(source: str) -> str:
    """Markdown as members type it in posts, often line by line on a phone: a single line break
    stays a line break, ``` fences make a code block, headings are small, text shows as typed
    (post_markdown), and an image from elsewhere becomes a link to it. Sanitised to the same
    allow-list as render_markdown; raises SourceTooLong above the length cap."""
    extensions = ["tables", "sane_lists", "fenced_code", "nl2br", *post_extensions()]
    return _sanitise(_markdown(tidy_fence_lines(source), extensions), _post_cleaner)


def plain_text(source: str, limit: int | None = None) -> str:
    """Text with every tag removed (titles, previews, notifications)."""
    text = strip_bidi(_text_cleaner.clean(source))
    return text[:limit] if limit else text
