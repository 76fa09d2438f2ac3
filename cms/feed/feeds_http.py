"""Syndication over HTTP: the News Feed as JSON Feed 1.1 (`/feed.json`) and RSS 2.0
(`/feed.xml`), and the same for one tag (`/tags/{tag}/feed.…`) or one author
(`/authors/{author}/feed.…`). `cms.feed.syndication` decides what is in a feed;
this module only renders it and handles HTTP caching.

Links: feed readers need a web page per item, and the CMS is headless, so the
pages are assumed to live on the site the request came to: `{base}articles/{slug}`
for articles, `{base}feed/{global id}` for other items, `{base}tags/{slug}` and
`{base}authors/{slug}` for the filtered feeds' home pages, where `{base}` is the
request's base URL (a later setting may point these at the public website).

Caching: public feeds are cached by browsers and CDNs for a short while and carry
a strong ETag (a hash of the body), so a revalidation costs a `304` and no body.
A request with an Authorization header (valid: a bad one never gets here) still
gets the public feed, but marked `private, no-store`, so that no shared cache
keeps a response it fetched with someone's credentials.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cms.errors import NotFound
from cms.feed.syndication import Entry, Feed, load_feed
from cms.ids import global_id

JSON_FEED_TYPE = "application/feed+json"
RSS_TYPE = "application/rss+xml; charset=utf-8"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PUBLIC_CACHE = "public, max-age=30, s-maxage=60, stale-while-revalidate=30"
PRIVATE_CACHE = "private, no-store"
FEED_TITLE = "News Feed"

# Characters XML 1.0 cannot carry at all, not even escaped; lxml refuses them, and
# one stray control character in a headline must not take the whole feed down.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def entry_url(base: str, entry: Entry) -> str:
    """The web page of an entry (see the module docstring)."""
    if entry.article is not None:
        return f"{base}articles/{quote(entry.article.slug, safe='')}"
    return f"{base}feed/{quote(global_id('FeedItem', entry.id), safe='')}"


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def json_feed(request: Request) -> Response:
    """`GET /feed.json` and its per-tag and per-author variants: JSON Feed 1.1."""
    feed = await _feed(request)
    if isinstance(feed, Response):
        return feed
    base = str(request.base_url)
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _title(feed),
        "home_page_url": _home_page(request),
        "feed_url": _self_url(request),
        "items": [_json_item(base, entry) for entry in feed.entries],
    }
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return _cached(request, body, JSON_FEED_TYPE)


async def rss_feed(request: Request) -> Response:
    """`GET /feed.xml` and its per-tag and per-author variants: RSS 2.0."""
    feed = await _feed(request)
    if isinstance(feed, Response):
        return feed
    body = _rss(request, feed)
    return _cached(request, body, RSS_TYPE)


async def _feed(request: Request) -> Feed | Response:
    tag = request.path_params.get("tag")
    author = request.path_params.get("author")
    try:
        return await load_feed(now=request.state.clock.now(), tag=tag, author=author)
    except NotFound as exc:
        return JSONResponse(
            {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]},
            status_code=404,
        )


def _title(feed: Feed) -> str:
    return FEED_TITLE if feed.subject is None else f"{FEED_TITLE}: {feed.subject}"


def _home_page(request: Request) -> str:
    base = str(request.base_url)
    if "tag" in request.path_params:
        return f"{base}tags/{quote(request.path_params['tag'], safe='')}"
    if "author" in request.path_params:
        return f"{base}authors/{quote(request.path_params['author'], safe='')}"
    return base


def _self_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


def _json_item(base: str, entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": global_id("FeedItem", entry.id),
        "url": entry_url(base, entry),
        "title": entry.headline,
    }
    article, video = entry.article, entry.video
    if article is not None:
        item["content_html"] = article.body_html
        item["content_text"] = article.body_text
    else:
        item["content_text"] = entry.summary or entry.headline
    summary = entry.summary or (article.dek if article is not None else None)
    if summary:
        item["summary"] = summary
    if video is not None:
        item["external_url"] = video.url
        if video.thumbnail_url:
            item["image"] = video.thumbnail_url
    item["date_published"] = rfc3339(entry.published_at)
    item["date_modified"] = rfc3339(entry.updated_at)
    if article is not None and article.authors:
        item["authors"] = [{"name": name} for name in article.authors]
    if article is not None and article.tags:
        item["tags"] = list(article.tags)
    item["language"] = entry.language
    return item


def _rss(request: Request, feed: Feed) -> bytes:
    base = str(request.base_url)
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # dc:creator: bylines without emails
    fg.title(_xml(_title(feed)))
    # feedgen makes the channel's <link> of the last link given: the home page
    fg.link(href=_self_url(request), rel="self")
    fg.link(href=_home_page(request), rel="alternate")
    fg.description(_xml(_title(feed)))
    # feedgen would stamp the time of rendering: the newest change keeps the body,
    # and so its ETag, the same until the feed really changes
    fg.lastBuildDate(
        max((e.updated_at for e in feed.entries), default=None) or request.state.clock.now()
    )
    for entry in feed.entries:
        fe = fg.add_entry(order="append")
        fe.title(_xml(entry.headline))
        fe.link(href=entry_url(base, entry))
        fe.guid(global_id("FeedItem", entry.id), permalink=False)
        fe.pubDate(entry.published_at)
        article = entry.article
        summary = entry.summary or (article.dek if article is not None else None)
        if summary:
            fe.description(_xml(summary))
        if article is not None:
            fe.content(_xml(article.body_html))  # content:encoded, escaped
            for name in article.authors:
                fe.dc.dc_creator(_xml(name))
            for name in article.tags:
                fe.category(term=_xml(name))
        elif not summary:
            fe.description(_xml(entry.headline))
    body: bytes = fg.rss_str(pretty=False)
    return body


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _cached(request: Request, body: bytes, media_type: str) -> Response:
    """`body` with the caching headers, or a bodiless 304 when the client's copy
    (`If-None-Match`) is current."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": PRIVATE_CACHE if "authorization" in request.headers else PUBLIC_CACHE,
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or any listed tag equal by the weak comparison."""
    if if_none_match is None:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
