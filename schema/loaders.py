"""Per-request DataLoaders: one per (entity, key), so that every relation of every
object in a response costs one query per level, not one per object."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

from cms.accounts.actor import Actor
from cms.accounts.models import User
from cms.accounts.queries import users_by_ids
from cms.articles import queries as articles
from cms.articles.models import Article, Correction, Source
from cms.assets.models import MediaAsset
from cms.assets.queries import assets_by_ids
from cms.authors.models import Author
from cms.authors.queries import authors_by_ids, authors_by_user_ids
from cms.feed.models import FeedItem
from cms.feed.queries import feed_items_by_ids
from cms.pagination import Page
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed
from cms.videos.queries import videos_by_ids

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]]) -> DataLoader[K, V | None]:
    """A loader of one object per key (None where there is none)."""

    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def _many(fetch: Callable[[Sequence[K]], Awaitable[dict[K, list[V]]]]) -> DataLoader[K, list[V]]:
    """A loader of a list per key (empty where there is none)."""

    async def load(keys: list[K]) -> list[list[V]]:
        found = await fetch(keys)
        return [found.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True, slots=True)
class Loaders:
    article_by_id: DataLoader[int, Article | None]
    author_by_id: DataLoader[int, Author | None]
    author_by_user_id: DataLoader[int, Author | None]
    author_ids_by_article_id: DataLoader[int, list[int]]
    tags_by_article_id: DataLoader[int, list[Tag]]
    videos_by_article_id: DataLoader[int, list[VideoEmbed]]
    sources_by_article_id: DataLoader[int, list[Source]]
    corrections_by_article_id: DataLoader[int, list[Correction]]
    articles_by_translation_group_id: DataLoader[int, list[Article]]
    article_page_by_author: DataLoader[articles.AuthorArticlesKey, Page[Article] | None]
    media_asset_by_id: DataLoader[int, MediaAsset | None]
    video_by_id: DataLoader[int, VideoEmbed | None]
    feed_item_by_id: DataLoader[int, FeedItem | None]
    user_by_id: DataLoader[int, User | None]


def build_loaders(*, actor: Actor, now: datetime) -> Loaders:
    """Fresh loaders for one request: their caches never outlive it."""
    hidden = actor.can_read_drafts
    return Loaders(
        article_by_id=_one(
            lambda ids: articles.articles_by_ids(ids, now=now, include_hidden=hidden)
        ),
        author_by_id=_one(authors_by_ids),
        author_by_user_id=_one(authors_by_user_ids),
        author_ids_by_article_id=_many(articles.author_ids_by_article_ids),
        tags_by_article_id=_many(articles.tags_by_article_ids),
        videos_by_article_id=_many(
            lambda ids: articles.videos_by_article_ids(ids, now=now, include_hidden=hidden)
        ),
        sources_by_article_id=_many(articles.sources_by_article_ids),
        corrections_by_article_id=_many(articles.corrections_by_article_ids),
        articles_by_translation_group_id=_many(
            lambda ids: articles.translations_by_group_ids(ids, now=now, include_hidden=hidden)
        ),
        article_page_by_author=_one(lambda keys: articles.article_pages_by_author(keys, now=now)),
        media_asset_by_id=_one(assets_by_ids),
        video_by_id=_one(lambda ids: videos_by_ids(ids, now=now, include_hidden=hidden)),
        feed_item_by_id=_one(lambda ids: feed_items_by_ids(ids, now=now, include_hidden=hidden)),
        user_by_id=_one(users_by_ids),
    )
