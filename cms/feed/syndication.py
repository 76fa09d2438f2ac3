"""Syndication: the newest public feed items, with what a feed reader shows of
each, for the JSON Feed and RSS documents (`cms.feed.feeds_http` renders them).

Everything a reader may see here follows the public visibility rule of the News
Feed (`feed_visible_q`): drafts, items scheduled for later, deleted items and
ARTICLE/VIDEO items whose article or video is hidden never appear.

A feed of one tag or one author holds only ARTICLE items (the other kinds have
neither tags nor bylines). The whole feed costs a fixed handful of statements,
however many items it holds: the items with their article and video in one,
then the bylines and the tags of all those articles in one each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from cms.articles.models import Article, ArticleAuthor, ArticleTag
from cms.articles.queries import authors_by_article_ids, tags_by_article_ids
from cms.authors.models import Author
from cms.errors import NotFound
from cms.feed.models import FeedItem, FeedItemKind
from cms.feed.queries import feed_visible_q
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed

FEED_SIZE = 50


@dataclass(frozen=True, slots=True)
class EntryArticle:
    """What a feed shows of the article behind an ARTICLE item."""

    slug: str
    title: str
    dek: str | None
    body_html: str
    body_text: str
    authors: tuple[str, ...]  # byline names, in order
    tags: tuple[str, ...]  # tag names, in order


@dataclass(frozen=True, slots=True)
class EntryVideo:
    """What a feed shows of the video behind a VIDEO item."""

    url: str  # canonical watch URL
    embed_url: str
    thumbnail_url: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item as a syndication feed presents it. `id` is the feed item's row
    id; the transport turns it into the API's global id."""

    id: int
    kind: FeedItemKind
    headline: str
    summary: str | None
    language: str
    published_at: datetime
    # the latest change of the item or of what it shows (the article's words, the
    # video), never before `published_at`
    updated_at: datetime
    article: EntryArticle | None = None  # kind ARTICLE
    video: EntryVideo | None = None  # kind VIDEO


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's entries, newest first, and what the feed is of: a tag's or an
    author's name, or None for the whole News Feed."""

    entries: list[Entry]
    subject: str | None = None


async def load_feed(
    *, now: datetime, limit: int = FEED_SIZE, tag: str | None = None, author: str | None = None
) -> Feed:
    """The newest `limit` public feed items, newest `published_at` first; with `tag`
    or `author` (slugs) only ARTICLE items whose article has that tag or byline.
    An unknown tag, or an unknown or deleted author, is `NotFound`."""
    query = FeedItem.filter(feed_visible_q(now))
    subject: str | None = None
    if tag is not None:
        tag_row = await Tag.get_or_none(slug=tag)
        if tag_row is None:
            raise NotFound(f"no tag {tag!r}")
        subject = tag_row.name
        query = query.filter(
            kind=FeedItemKind.ARTICLE,
            article_id__in=Subquery(ArticleTag.filter(tag_id=tag_row.id).values("article_id")),
        )
    if author is not None:
        author_row = await Author.get_or_none(slug=author, deleted_at__isnull=True)
        if author_row is None:
            raise NotFound(f"no author {author!r}")
        subject = author_row.name if subject is None else f"{subject}, {author_row.name}"
        query = query.filter(
            kind=FeedItemKind.ARTICLE,
            article_id__in=Subquery(
                ArticleAuthor.filter(author_id=author_row.id).values("article_id")
            ),
        )
    items = (
        await query.select_related("article", "video").order_by("-published_at", "-id").limit(limit)
    )
    return Feed(entries=await _entries(items), subject=subject)


async def feed_entries(
    *, now: datetime, limit: int = FEED_SIZE, tag: str | None = None, author: str | None = None
) -> list[Entry]:
    """The entries of `load_feed` (same arguments, same `NotFound`)."""
    return (await load_feed(now=now, limit=limit, tag=tag, author=author)).entries


async def _entries(items: list[FeedItem]) -> list[Entry]:
    articles: dict[int, Article] = {}
    for item in items:
        if item.kind == FeedItemKind.ARTICLE and item.article is not None:
            articles[item.article.id] = item.article
    ids = list(articles)
    bylines = await authors_by_article_ids(ids) if ids else {}
    tags = await tags_by_article_ids(ids) if ids else {}

    entries = []
    for item in items:
        assert item.published_at is not None  # visible items are published
        changed = [item.updated_at, item.published_at]
        article = video = None
        if item.kind == FeedItemKind.ARTICLE and item.article is not None:
            row: Article = item.article
            changed.append(row.updated_at)
            article = EntryArticle(
                slug=row.slug,
                title=row.title,
                dek=row.dek,
                body_html=row.body_html,
                body_text=row.body_text,
                authors=tuple(a.name for a in bylines.get(row.id, ())),
                tags=tuple(t.name for t in tags.get(row.id, ())),
            )
        elif item.kind == FeedItemKind.VIDEO and item.video is not None:
            clip: VideoEmbed = item.video
            changed.append(clip.updated_at)
            video = EntryVideo(
                url=clip.url, embed_url=clip.embed_url, thumbnail_url=clip.thumbnail_url
            )
        entries.append(
            Entry(
                id=item.id,
                kind=FeedItemKind(item.kind),
                headline=item.headline,
                summary=item.summary,
                language=item.language,
                published_at=item.published_at,
                updated_at=max(changed),
                article=article,
                video=video,
            )
        )
    return entries
