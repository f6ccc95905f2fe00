"""The Markdown of lessons beyond the standard extensions: headings under the page's title.
Sanitising is sanitize.py's; posts have their own (post_markdown.py)."""

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _LessonHeadings(Treeprocessor):
    """The page's h1 is the lesson's title (the allow-list has no h1): a lesson whose headings
    start at "#" has them all one level down ("#" h2, "##" h3, …, h6 at most); one that starts
    at "##", as the curriculum files do, keeps them."""

    def run(self, root):
        if any(element.tag == "h1" for element in root.iter()):
            for element in root.iter():
                if element.tag in HEADINGS:
                    element.tag = f"h{min(int(element.tag[1]) + 1, 6)}"


class _Headings(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_LessonHeadings(md), "lesson_headings", 5)


def lesson_extensions() -> list[Extension]:
    return [_Headings()]
