"""Builders of content rows for tests, with sensible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cms.accounts.models import Role, Session, User
from cms.accounts.passwords import Passwords
from cms.accounts.tokens import TokenHasher, new_session_token
from cms.articles.models import Article, ArticleAuthor, ArticleTag, Source
from cms.authors.models import Author, AuthorKind
from cms.content import ContentStatus
from cms.feed.models import FeedItem, FeedItemKind
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed, VideoProvider

_counter = 0


def _next() -> int:
    global _counter
    _counter += 1
    return _counter


async def make_author(**fields: Any) -> Author:
    n = _next()
    values: dict[str, Any] = {
        "slug": f"author-{n}",
        "name": f"Author {n}",
        "kind": AuthorKind.PERSON,
        "bio": f"Bio of author {n}.",
        "title": "Reporter",
    }
    values.update(fields)
    return await Author.create(**values)


async def make_article(
    *,
    status: ContentStatus = ContentStatus.PUBLISHED,
    published_at: datetime | None = None,
    authors: list[Author] = (),  # type: ignore[assignment]
    tags: list[Tag] = (),  # type: ignore[assignment]
    sources: list[tuple[str, str | None]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> Article:
    n = _next()
    values: dict[str, Any] = {
        "slug": f"article-{n}",
        "title": f"Article {n}",
        "dek": f"Dek {n}",
        "body_source": f"Body {n}",
        "body_html": f"<p>Body {n}</p>",
        "body_text": f"Body {n}",
        "word_count": 2,
        "status": status,
        "published_at": published_at,
        "first_published_at": published_at,
    }
    values.update(fields)
    article = await Article.create(**values)
    for position, author in enumerate(authors):
        await ArticleAuthor.create(article=article, author=author, position=position)
    for position, tag in enumerate(tags):
        await ArticleTag.create(article=article, tag=tag, position=position)
    for position, (name, url) in enumerate(sources):
        await Source.create(article=article, position=position, name=name, url=url)
    return article


async def make_tag(name: str) -> Tag:
    return await Tag.create(
        slug=name.lower().replace(" ", "-"), name=name, name_key=name.casefold()
    )


async def make_video(
    *,
    status: ContentStatus = ContentStatus.PUBLISHED,
    published_at: datetime | None = None,
    **fields: Any,
) -> VideoEmbed:
    n = _next()
    vid = f"abcdefghi{n % 100:02d}"
    values: dict[str, Any] = {
        "url": f"https://www.youtube.com/watch?v={vid}",
        "provider": VideoProvider.YOUTUBE,
        "provider_video_id": vid,
        "embed_url": f"https://www.youtube-nocookie.com/embed/{vid}",
        "thumbnail_url": f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg",
        "title": f"Video {n}",
        "status": status,
        "published_at": published_at,
        "first_published_at": published_at,
    }
    values.update(fields)
    return await VideoEmbed.create(**values)


async def make_feed_item(
    *,
    kind: FeedItemKind = FeedItemKind.UPDATE,
    status: ContentStatus = ContentStatus.PUBLISHED,
    published_at: datetime | None = None,
    **fields: Any,
) -> FeedItem:
    n = _next()
    values: dict[str, Any] = {
        "kind": kind,
        "headline": f"Update {n}",
        "summary": f"Summary {n}",
        "status": status,
        "published_at": published_at,
        "first_published_at": published_at,
    }
    values.update(fields)
    return await FeedItem.create(**values)


async def make_user(
    passwords: Passwords,
    *,
    role: Role = Role.EDITOR,
    password: str = "correct horse battery staple",
    **fields: Any,
) -> User:
    n = _next()
    values: dict[str, Any] = {
        "email": f"user{n}@example.org",
        "name": f"User {n}",
        "role": role,
        "password_hash": await passwords.hash(password),
    }
    values.update(fields)
    return await User.create(**values)


async def session_for(user: User, now: datetime, secret: str) -> str:
    """A valid session token for `user`, made directly (no login round trip)."""
    token = new_session_token()
    await Session.create(
        user=user,
        token_hash=TokenHasher(secret)(token),
        created_at=now,
        expires_at=now + timedelta(hours=12),
    )
    return token


async def staff(
    passwords: Passwords, role: Role, now: datetime, secret: str, **fields: Any
) -> tuple[User, dict[str, str]]:
    """A user of `role` and the Authorization header of a session of theirs."""
    user = await make_user(passwords, role=role, **fields)
    return user, {"Authorization": f"Bearer {await session_for(user, now, secret)}"}
