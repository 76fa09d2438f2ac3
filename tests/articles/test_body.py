"""Rendering article bodies: sanitizing, Markdown, plain text, word counts, reading time."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from cms.articles.body import RenderedBody, reading_time_minutes, render_body
from cms.articles.models import BodyFormat

# The contract's allowlist, restated here so that a change to the module shows up as
# a failing test rather than silently widening what readers' pages receive.
ALLOWED: dict[str, set[str]] = {
    **{
        tag: set()
        for tag in (
            "p", "h2", "h3", "h4", "ul", "ol", "li", "em", "strong", "b", "i",
            "blockquote", "figure", "figcaption", "code", "pre", "hr", "br",
        )
    },
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height"},
}  # fmt: skip
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = {"http", "https"}


class _MarkupAudit(HTMLParser):
    """Collects every way a piece of HTML steps outside the allowlist."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.problems.append(f"tag <{tag}>")
            return
        for name, value in attrs:
            if name not in ALLOWED[tag]:
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name == "href" and urlsplit(value or "").scheme not in LINK_SCHEMES:
                self.problems.append(f"href {value!r}")
            elif name == "src" and urlsplit(value or "").scheme not in IMAGE_SCHEMES:
                self.problems.append(f"src {value!r}")
            elif name == "rel" and value != "noopener noreferrer":
                self.problems.append(f"rel {value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def audit(html: str) -> list[str]:
    parser = _MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser.problems


HTML_XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<script>document.write('<img src=x>')</script>after",
    "<img src=x onerror=alert(1)>",
    '<img src="https://example.org/a.png" onerror="alert(1)">',
    '<p onclick="alert(1)">hi</p>',
    '<a href="https://example.org/" onmouseover="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>x",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="DATA:image/png;base64,iVBORw0KGgo=">',
    '<img src="javascript:alert(1)">',
    '<IMG SRC="JaVaScRiPt:alert(1)">',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='alert(1)'/>#x\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>text",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<img src="https://example.org/a.png" onerror=alert(1)//',
    "<p>unclosed <b>bold <a href=javascript:alert(1)>link",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<a href="https://example.org/" target="_blank" rel="opener">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
]

MARKDOWN_XSS_PAYLOADS = [
    "[x](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<img src=x onerror=alert(1)>",
    "text <script>alert(1)</script> more",
    '<a href="javascript:alert(1)">x</a>',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '<div style="color:red" onclick="alert(1)">*x*</div>',
]


@pytest.mark.parametrize("payload", HTML_XSS_PAYLOADS)
def test_html_xss_payload_is_neutralised(payload: str) -> None:
    """An HTML body carrying a script vector comes out with no script, handler or unsafe URL."""
    html = render_body(payload, BodyFormat.HTML).html
    lowered = html.lower()

    assert audit(html) == []
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert "data:" not in lowered
    assert "onerror" not in lowered and "onload" not in lowered and "onclick" not in lowered


@pytest.mark.parametrize("payload", MARKDOWN_XSS_PAYLOADS)
def test_markdown_xss_payload_is_neutralised(payload: str) -> None:
    """A Markdown body's links, images and raw HTML are held to the same allowlist as HTML."""
    html = render_body(payload, BodyFormat.MARKDOWN).html

    assert audit(html) == []
    assert "<script" not in html.lower()


def test_script_and_style_contents_are_removed() -> None:
    """Script and style elements disappear together with their contents."""
    body = render_body(
        "<p>before</p><script>var secret = 1;</script><style>p { color: red }</style><p>after</p>",
        BodyFormat.HTML,
    )

    assert body.html == "<p>before</p><p>after</p>"
    assert body.text == "before\n\nafter"


def test_embedded_documents_are_removed_with_their_fallback_text() -> None:
    """iframe, object and svg go with their contents rather than leaving stray text."""
    body = render_body(
        "<p>a</p><iframe src='https://example.org'>frame</iframe><svg><text>drawn</text></svg>"
        "<object data='https://example.org/x'>fallback</object><p>b</p>",
        BodyFormat.HTML,
    )

    assert body.html == "<p>a</p><p>b</p>"


def test_allowed_markup_survives() -> None:
    """Every allowlisted element and attribute comes through unchanged."""
    source = (
        "<h2>Two</h2><h3>Three</h3><h4>Four</h4>"
        "<p><em>e</em> <strong>s</strong> <b>b</b> <i>i</i> <code>c</code><br>next</p>"
        "<ul><li>u</li></ul><ol><li>o</li></ol>"
        "<blockquote><p>q</p></blockquote>"
        '<figure><img src="https://example.org/a.jpg" alt="A crew" width="640" height="480">'
        "<figcaption>cap</figcaption></figure>"
        "<pre><code>x = 1</code></pre><hr>"
        '<p><a href="https://example.org/a" rel="noopener noreferrer">web</a> '
        '<a href="mailto:desk@example.org" rel="noopener noreferrer">mail</a></p>'
    )

    assert render_body(source, BodyFormat.HTML).html == source


def test_disallowed_tags_are_unwrapped_keeping_their_text() -> None:
    """A tag outside the allowlist (span, div, table) is dropped but its words stay."""
    html = render_body(
        "<div><span>kept</span> <table><tr><td>cell</td></tr></table></div>", BodyFormat.HTML
    ).html

    assert html == "kept cell"


def test_links_get_a_forced_rel_and_lose_other_attributes() -> None:
    """Links always carry rel="noopener noreferrer", whatever rel, target or title they had."""
    html = render_body(
        '<a href="https://example.org/" rel="opener" target="_blank" title="t" class="c">x</a>',
        BodyFormat.HTML,
    ).html

    assert html == '<a href="https://example.org/" rel="noopener noreferrer">x</a>'


def test_attributes_outside_the_allowlist_are_removed_from_every_element() -> None:
    """Global attributes such as title, lang, id, class and style are stripped too."""
    html = render_body(
        '<p title="t" lang="uk" id="i" class="c" style="color:red" dir="rtl">x</p>', BodyFormat.HTML
    ).html

    assert html == "<p>x</p>"


@pytest.mark.parametrize(
    "source",
    [
        '<a href="/news/1">x</a>',
        '<a href="//evil.example/">x</a>',
        '<a href="news/1">x</a>',
        '<a href="ftp://example.org/file">x</a>',
        '<a href="tel:+380441234567">x</a>',
    ],
)
def test_links_that_are_not_absolute_web_or_mail_urls_lose_their_href(source: str) -> None:
    """Relative, protocol-relative and non-web links keep their text but lose the href."""
    assert render_body(source, BodyFormat.HTML).html == '<a rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize(
    "src", ["mailto:desk@example.org", "/media/a.jpg", "//cdn.example/a.jpg", "ftp://example.org/a"]
)
def test_images_only_load_from_absolute_web_urls(src: str) -> None:
    """An image whose src is not an absolute http(s) URL loses its src."""
    assert render_body(f'<img src="{src}" alt="a">', BodyFormat.HTML).html == '<img alt="a">'


def test_image_dimensions_must_be_plain_numbers() -> None:
    """width and height survive only as digits, not as CSS lengths or expressions."""
    html = render_body(
        '<img src="https://example.org/a.jpg" width="640" height="100%">'
        '<img src="https://example.org/b.jpg" width="1e9" height=" 480 ">',
        BodyFormat.HTML,
    ).html

    assert html == (
        '<img src="https://example.org/a.jpg" width="640">'
        '<img src="https://example.org/b.jpg" height="480">'
    )


def test_h1_becomes_h2_in_html_and_markdown() -> None:
    """A top-level heading is demoted to h2, since the page's h1 is the article title."""
    assert render_body("<h1 id='x'>Title</h1>", BodyFormat.HTML).html == "<h2>Title</h2>"
    assert render_body("# Title", BodyFormat.MARKDOWN).html == "<h2>Title</h2>"


def test_h1_demotion_leaves_text_that_looks_like_a_tag_alone() -> None:
    """Only real h1 elements change: "<h1>" written in text or alt text stays as written."""
    body = render_body(
        '<p>Use &lt;h1&gt; once</p><img src="https://example.org/a.jpg" alt="<h1>">',
        BodyFormat.HTML,
    )

    assert body.html == (
        '<p>Use &lt;h1&gt; once</p><img src="https://example.org/a.jpg" alt="&lt;h1&gt;">'
    )
    assert body.text == "Use <h1> once"


def test_markdown_is_commonmark() -> None:
    """Markdown renders by the CommonMark spec, with no extensions such as linkify or tables."""
    html = render_body(
        "Some *emphasis*, **strength** and `code`.\n\n"
        "- one\n- two\n\n"
        "> quoted\n\n"
        "[link](https://example.org/a) and https://example.org/bare\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |",
        BodyFormat.MARKDOWN,
    ).html

    assert html == (
        "<p>Some <em>emphasis</em>, <strong>strength</strong> and <code>code</code>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
        '<p><a href="https://example.org/a" rel="noopener noreferrer">link</a>'
        " and https://example.org/bare</p>\n"
        "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>"
    )


def test_plain_text_separates_blocks_lines_and_collapses_whitespace() -> None:
    """Paragraphs are separated by a blank line, list items and line breaks by a newline,
    and runs of whitespace inside a block become one space."""
    text = render_body(
        "<h2>Head</h2><p>One   <em>two</em>\n three</p>"
        "<ul><li>first</li><li>second<ul><li>nested</li></ul></li></ul>"
        "<p>line<br>break</p><blockquote><p>quote</p></blockquote>",
        BodyFormat.HTML,
    ).text

    assert text == "Head\n\nOne two three\n\nfirst\nsecond\nnested\n\nline\nbreak\n\nquote"


def test_plain_text_unescapes_entities() -> None:
    """Character references become the characters they stand for."""
    text = render_body(
        "<p>Tom &amp; Jerry&nbsp;&mdash; &#x41A;&#1080;&#1111;&#1074; &lt;3</p>", BodyFormat.HTML
    ).text

    assert text == "Tom & Jerry — Київ <3"


def test_plain_text_keeps_preformatted_line_breaks() -> None:
    """Lines of a pre block stay on separate lines in the text."""
    text = render_body("```\nfirst line\nsecond line\n```", BodyFormat.MARKDOWN).text

    assert text == "first line\nsecond line"


def test_plain_text_leaves_out_image_alt_text() -> None:
    """Alt text describes a picture; it is not counted as the story's words."""
    body = render_body(
        '<figure><img src="https://example.org/a.jpg" alt="three words here">'
        "<figcaption>Caption</figcaption></figure>",
        BodyFormat.HTML,
    )

    assert body.text == "Caption"
    assert body.word_count == 1


def test_word_count_skips_tokens_without_letters_or_digits() -> None:
    """Dashes and bullets are not words; Cyrillic words and numbers are."""
    body = render_body("Київ — 12 drones * shot down; S-300 … ok", BodyFormat.MARKDOWN)

    assert body.text == "Київ — 12 drones * shot down; S-300 … ok"
    assert body.word_count == 7


def test_empty_body_renders_to_nothing() -> None:
    """An empty or whitespace-only body gives empty HTML and text and no words."""
    assert render_body("  \n ", BodyFormat.MARKDOWN) == RenderedBody(html="", text="", word_count=0)
    assert render_body("", BodyFormat.HTML) == RenderedBody(html="", text="", word_count=0)


def test_rendered_body_is_immutable() -> None:
    """A rendered body cannot be altered after the fact."""
    body = render_body("x", BodyFormat.MARKDOWN)

    with pytest.raises(dataclasses.FrozenInstanceError):
        body.html = "<script></script>"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("words", "minutes"),
    [(0, 1), (1, 1), (237, 1), (238, 1), (239, 2), (476, 2), (477, 3), (2380, 10)],
)
def test_reading_time_is_words_over_238_rounded_up_and_at_least_one(
    words: int, minutes: int
) -> None:
    """Reading time is max(1, ceil(words / 238))."""
    assert reading_time_minutes(words) == minutes
