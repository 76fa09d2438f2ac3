"""Reading articles: lists, single articles and the batch look-ups that the API's
loaders use, all under the visibility rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from cms.accounts.actor import Actor
from cms.articles.models import Article, ArticleAuthor, ArticleTag, ArticleVideo, Correction, Source
from cms.authors.models import Author
from cms.content import LIVE_STATUSES, ContentStatus, visible_q
from cms.errors import Forbidden
from cms.pagination import Page, TimeKey, page_of
from cms.sql import Params, fetch_all
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """The typed filters of `articles`; nothing else reaches the query."""

    tag: str | None = None
    author: str | None = None
    language: str | None = None
    status: ContentStatus | None = None


def _scope_q(*, actor: Actor, now: datetime, status: ContentStatus | None) -> Q:
    if status is not None and status != ContentStatus.PUBLISHED and not actor.can_read_drafts:
        raise Forbidden("reading unpublished articles needs the CONTENT_READ scope")
    if status is None or status == ContentStatus.PUBLISHED:
        # PUBLISHED as the reader sees it: SCHEDULED rows whose time has come included
        return visible_q(now)
    if status == ContentStatus.SCHEDULED:
        return Q(status=status, published_at__gt=now, deleted_at__isnull=True)
    return Q(status=status, deleted_at__isnull=True)


async def list_articles(
    *,
    actor: Actor,
    now: datetime,
    first: int,
    after: TimeKey | None,
    filter: ArticleFilter,
) -> Page[Article]:
    """Articles newest first (`publishedAt` desc, then id desc), one keyset page."""
    query = Article.filter(_scope_q(actor=actor, now=now, status=filter.status))
    if filter.language is not None:
        query = query.filter(language=filter.language)
    if filter.tag is not None:
        query = query.filter(tag_links__tag__slug=filter.tag)
    if filter.author is not None:
        query = query.filter(bylines__author__slug=filter.author, bylines__author__deleted_at=None)
    if after is not None:
        query = query.filter(after.after_q())
    rows = await query.order_by("-published_at", "-id").limit(first + 1)
    return page_of(rows, first, has_previous=after is not None)


async def get_article(
    *,
    actor: Actor,
    now: datetime,
    id: int | None = None,
    slug: str | None = None,
    preview: bool = False,
) -> Article | None:
    """One article by id or slug, or None when it does not exist or is hidden.
    `preview` (a valid preview token was shown) lifts the visibility rule."""
    query = Article.filter(deleted_at__isnull=True)
    if not (actor.can_read_drafts or preview):
        query = query.filter(visible_q(now))
    query = query.filter(id=id) if id is not None else query.filter(slug=slug)
    return await query.first()


async def articles_by_ids(
    ids: Sequence[int], *, now: datetime, include_hidden: bool
) -> dict[int, Article]:
    query = Article.filter(id__in=ids, deleted_at__isnull=True)
    if not include_hidden:
        query = query.filter(visible_q(now))
    return {a.id: a for a in await query}


async def authors_by_article_ids(ids: Sequence[int]) -> dict[int, list[Author]]:
    """Bylines in their order; deleted authors drop out."""
    author_ids = await author_ids_by_article_ids(ids)
    authors = await Author.filter(
        id__in={a for ids_ in author_ids.values() for a in ids_}, deleted_at__isnull=True
    )
    by_id = {a.id: a for a in authors}
    return {
        article_id: [by_id[a] for a in ids_ if a in by_id]
        for article_id, ids_ in author_ids.items()
    }


async def author_ids_by_article_ids(ids: Sequence[int]) -> dict[int, list[int]]:
    """The author ids of each article's bylines, in order. Bare ids, so that the
    (few) distinct authors of a page are built once each, not once per byline."""
    rows = (
        await ArticleAuthor.filter(article_id__in=ids)
        .order_by("article_id", "position", "id")
        .values_list("article_id", "author_id")
    )
    result: dict[int, list[int]] = defaultdict(list)
    for article_id, author_id in rows:
        result[article_id].append(author_id)
    return result


async def tags_by_article_ids(ids: Sequence[int]) -> dict[int, list[Tag]]:
    links = (
        await ArticleTag.filter(article_id__in=ids)
        .select_related("tag")
        .order_by("article_id", "position", "id")
    )
    result: dict[int, list[Tag]] = defaultdict(list)
    for link in links:
        result[link.article_id].append(link.tag)  # type: ignore[attr-defined]
    return result


async def videos_by_article_ids(
    ids: Sequence[int], *, now: datetime, include_hidden: bool
) -> dict[int, list[VideoEmbed]]:
    query = ArticleVideo.filter(article_id__in=ids, video__deleted_at__isnull=True)
    if not include_hidden:
        query = query.filter(visible_q(now, "video__"))
    links = await query.select_related("video").order_by("article_id", "position", "id")
    result: dict[int, list[VideoEmbed]] = defaultdict(list)
    for link in links:
        result[link.article_id].append(link.video)  # type: ignore[attr-defined]
    return result


async def sources_by_article_ids(ids: Sequence[int]) -> dict[int, list[Source]]:
    result: dict[int, list[Source]] = defaultdict(list)
    for source in await Source.filter(article_id__in=ids).order_by("article_id", "position", "id"):
        result[source.article_id].append(source)  # type: ignore[attr-defined]
    return result


async def corrections_by_article_ids(ids: Sequence[int]) -> dict[int, list[Correction]]:
    result: dict[int, list[Correction]] = defaultdict(list)
    rows = await Correction.filter(article_id__in=ids).order_by("article_id", "created_at", "id")
    for correction in rows:
        result[correction.article_id].append(correction)  # type: ignore[attr-defined]
    return result


async def translations_by_group_ids(
    group_ids: Sequence[int], *, now: datetime, include_hidden: bool
) -> dict[int, list[Article]]:
    """Every article of each translation group (the original and its translations),
    keyed by the original's id; callers leave out the article they started from."""
    query = Article.filter(
        Q(id__in=group_ids) | Q(translation_of_id__in=group_ids), deleted_at__isnull=True
    )
    if not include_hidden:
        query = query.filter(visible_q(now))
    result: dict[int, list[Article]] = defaultdict(list)
    for article in await query.order_by("language", "id"):
        result[article.translation_of_id or article.id].append(article)  # type: ignore[attr-defined]
    return result


@dataclass(frozen=True, slots=True)
class AuthorArticlesKey:
    """One `Author.articles(first, after)` page request."""

    author_id: int
    first: int
    after: TimeKey | None


async def article_pages_by_author(
    keys: Sequence[AuthorArticlesKey], *, now: datetime
) -> dict[AuthorArticlesKey, Page[Article]]:
    """Pages of several authors' published articles in one statement per distinct
    (first, after): a window function numbers each author's articles and keeps the
    first `first + 1` of each."""
    groups: dict[tuple[int, TimeKey | None], list[int]] = defaultdict(list)
    for key in keys:
        groups[(key.first, key.after)].append(key.author_id)

    pages: dict[AuthorArticlesKey, Page[Article]] = {}
    for (first, after), author_ids in groups.items():
        # Markers are handed out in the order they appear in the text (SQLite's
        # `?` is positional). Only those markers are interpolated, never values.
        p = Params()
        sql = (
            "SELECT author_id, article_id FROM ("
            " SELECT aa.author_id AS author_id, a.id AS article_id,"
            "  ROW_NUMBER() OVER (PARTITION BY aa.author_id"
            "   ORDER BY a.published_at DESC, a.id DESC) AS rn"
            " FROM article a JOIN article_author aa ON aa.article_id = a.id"
            f" WHERE aa.author_id IN ({p.many(author_ids)})"
            f"  AND a.status IN ({p.many([s.value for s in LIVE_STATUSES])})"
            f"  AND a.published_at <= {p(now)} AND a.deleted_at IS NULL"
        )
        if after is not None:
            sql += (
                f" AND (a.published_at < {p(after.at)}"
                f" OR (a.published_at = {p(after.at)} AND a.id < {p(after.id)}))"
            )
        sql += f") ranked WHERE rn <= {p(first + 1)} ORDER BY author_id, rn"
        rows = await fetch_all(sql, p)
        articles = {a.id: a for a in await Article.filter(id__in={r["article_id"] for r in rows})}
        by_author: dict[int, list[Article]] = defaultdict(list)
        for row in rows:
            by_author[row["author_id"]].append(articles[row["article_id"]])
        for author_id in author_ids:
            key = AuthorArticlesKey(author_id, first, after)
            pages[key] = page_of(by_author[author_id], first, has_previous=after is not None)
    return pages
