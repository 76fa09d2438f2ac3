"""Article bodies: from what the editor wrote to the HTML, text and word count we store.

The body is rendered once, on save, and kept in three forms (`Article.body_html`,
`body_text`, `word_count`), so that readers, feeds and search never parse Markdown
or sanitize HTML on the hot path.

Every body, Markdown or HTML, ends in the same sanitizer with an explicit allowlist.
Markdown may carry raw HTML (CommonMark allows it, and editors paste embeds), so the
Markdown renderer is not trusted to be safe on its own: its output is sanitized
exactly like HTML typed by hand.

Headings: the page that shows an article owns its one `<h1>` (the title), so an `h1`
in a body becomes an `h2`. That keeps the editor's structure (a Markdown `# Heading`
is still a heading) instead of flattening it into loose text.

Links and images must be absolute URLs: the body is read by web pages, mobile apps
and feed readers, each with a different base URL, so a relative URL has no single
meaning and is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

from cms.articles.models import BodyFormat

__all__ = ["WORDS_PER_MINUTE", "RenderedBody", "reading_time_minutes", "render_body"]

# Average silent reading speed of adults for non-fiction (Brysbaert, 2019); the
# contract fixes readingTimeMinutes = max(1, ceil(wordCount / 238)).
WORDS_PER_MINUTE: Final = 238


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A body as stored: sanitized HTML, its plain text and the text's word count."""

    html: str
    text: str
    word_count: int


def render_body(source: str, fmt: BodyFormat) -> RenderedBody:
    """Render `source` (Markdown or HTML, as the editor wrote it) for storage.

    The result is safe to insert into a page as is: only the allowlisted elements
    and attributes survive, and scripts and styles are gone with their contents.
    """
    raw_html = _MARKDOWN.render(source) if fmt is BodyFormat.MARKDOWN else source
    html = _promote_h1(_CLEANER.clean(raw_html)).strip()
    text = _html_to_text(html)
    return RenderedBody(html=html, text=text, word_count=_count_words(text))


def reading_time_minutes(word_count: int) -> int:
    """Minutes an average reader needs for `word_count` words; never less than one,
    so that a teaser or an empty draft does not read as "0 min"."""
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))


# --- Markdown ---------------------------------------------------------------------

# The "commonmark" preset: the spec and nothing else (no tables, no linkify, no
# typographer), so a body renders the same here as in any CommonMark editor preview.
# It passes raw HTML through; the sanitizer below deals with it.
_MARKDOWN: Final = MarkdownIt("commonmark")


# --- Sanitizing --------------------------------------------------------------------

_ALLOWED_TAGS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "a", "em", "strong", "b", "i",
        "blockquote", "figure", "figcaption", "img", "code", "pre", "hr", "br",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES: Final = {
    # "*" must be given, empty: otherwise nh3 keeps its default `lang` and `title` on
    # every element.
    "*": set[str](),
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
}
# Elements whose contents are code or embedded documents, never reading text: they go
# with everything inside them. (Other disallowed tags lose the tag and keep the text.)
_DROPPED_WITH_CONTENT: Final = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"}
)
_LINK_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES: Final = frozenset({"http", "https"})


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow what the allowlist lets through: images only from the web (no `mailto:`,
    which nh3 would allow on any URL attribute) and sizes only as plain numbers.

    nh3 calls this for every allowed attribute and reports, rather than raises, any
    exception, so it must not raise.
    """
    if tag == "img" and attribute == "src":
        return value if urlsplit(value).scheme.lower() in _IMAGE_SCHEMES else None
    if tag == "img" and attribute in {"width", "height"}:
        number = value.strip()
        return number if number.isascii() and number.isdigit() and len(number) <= 5 else None
    return value


_CLEANER: Final = nh3.Cleaner(
    tags=set(_ALLOWED_TAGS),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    url_schemes=set(_LINK_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def _promote_h1(html: str) -> str:
    """Turn every `h1` of sanitized HTML into an `h2` (see the module docstring).

    Plain string replacement is exact here: the sanitizer escapes `<` in text and in
    attribute values and allows no attributes on `h1`, so the literal `<h1>` and
    `</h1>` can only be the element's own tags (a test pins this).
    """
    return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


# --- Plain text --------------------------------------------------------------------

# Elements that start a new paragraph of text, and those that start a new line.
_PARAGRAPH_TAGS: Final = frozenset(
    {"p", "h1", "h2", "h3", "h4", "blockquote", "figure", "figcaption", "pre", "hr"}
)
_LIST_TAGS: Final = frozenset({"ul", "ol"})
_LINE_TAGS: Final = frozenset({"li", "br"})
_LINE, _PARAGRAPH = 1, 2  # newlines between two pieces of text


class _TextExtractor(HTMLParser):
    """Collects the readable text of sanitized HTML: paragraphs separated by a blank
    line, list items and `<br>` by a newline, whitespace collapsed within each line.

    Image alt text is left out: it describes a picture, it is not part of the story
    (and would inflate the word count).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive already unescaped
        self._out: list[str] = []
        self._line: list[str] = []  # raw text of the line being read
        self._pending_break = 0  # newlines owed before the next piece of text
        self._pre_depth = 0
        self._list_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break_for(tag)
        if tag == "pre":
            self._pre_depth += 1
        elif tag in _LIST_TAGS:
            self._list_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        elif tag in _LIST_TAGS:
            self._list_depth = max(0, self._list_depth - 1)
        self._break_for(tag)

    def handle_data(self, data: str) -> None:
        if not self._pre_depth:
            self._line.append(data)
            return
        # In preformatted text the line breaks are the content; keep them.
        first, *rest = data.split("\n")
        self._line.append(first)
        for line in rest:
            self._break(_LINE)
            self._line.append(line)

    def text(self) -> str:
        """Everything read so far, as plain text."""
        self._flush()
        return "".join(self._out)

    def _break_for(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._break(_PARAGRAPH)
        elif tag in _LIST_TAGS:
            # A list nested in a list item continues that item's lines.
            self._break(_LINE if self._list_depth else _PARAGRAPH)
        elif tag in _LINE_TAGS:
            self._break(_LINE)

    def _break(self, newlines: int) -> None:
        self._flush()
        self._pending_break = max(self._pending_break, newlines)

    def _flush(self) -> None:
        line = " ".join("".join(self._line).split())
        self._line.clear()
        if not line:
            return
        if self._out:
            self._out.append("\n" * max(self._pending_break, _LINE))
        self._out.append(line)
        self._pending_break = 0


def _html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def _count_words(text: str) -> int:
    """Whitespace-separated words that hold a letter or a digit: a lone dash or
    bullet is punctuation, not a word."""
    return sum(1 for word in text.split() if any(ch.isalnum() for ch in word))
