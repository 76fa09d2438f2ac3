"""The fixed data set every run is measured on.

Everything comes from one `random.Random(seed)` drawn in a fixed order, and every
timestamp is counted back from a fixed instant (`ANCHOR`), so two runs with the
same sizes and seed store the same rows and the benchmarked queries return the
same bytes: throughput can be compared between runs and machines. (`updated_at`
is the one exception: Tortoise's `auto_now` stamps it with the wall clock on
insert, but no benchmarked query reads it.)

Rows are written with `bulk_create` and explicit ids, in one transaction, so that
seeding 10 000 feed items takes seconds and ids do not depend on the database.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from cms.articles.models import Article, ArticleAuthor, ArticleTag, ArticleVideo, BodyFormat
from cms.assets.models import MediaAsset
from cms.authors.models import Author, AuthorKind
from cms.cli import run_migrations
from cms.content import ContentStatus
from cms.db import tortoise_config
from cms.feed.models import FeedItem, FeedItemKind
from cms.settings import Settings
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed, VideoProvider

# Every row is published before this instant, which is itself in the past: the
# data set reads the same whatever the date of the run.
ANCHOR = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
# Items are spread over the 30 days before ANCHOR.
SPAN_SECONDS = 30 * 24 * 3600

# Positions of ARTICLE and VIDEO items in each run of 20 feed items (newest first).
FEED_PATTERN_LENGTH = 20
FEED_ARTICLE_SLOTS = frozenset({2, 8, 14})
FEED_VIDEO_SLOTS = frozenset({11})

# The servers' CMS_SECRET_KEY: fixed, so signed cursors (and so the answers'
# bytes) are the same on every run. It protects nothing: the database is throwaway.
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105


def _split(text: str) -> tuple[str, ...]:
    """Word lists are written as text: easier to read than a column of strings."""
    return tuple(text.split())


_WORDS = _split(
    "city council water supply power grid shelling evacuation convoy drone strike "
    "frontline brigade mayor hospital volunteers bridge railway station school harvest "
    "grain port exports sanctions parliament minister budget energy winter generators "
    "refugees reconstruction court investigation witnesses reporters region district "
    "village district heating shelter air raid siren repairs ceasefire talks delegation "
    "aid donors teachers doctors engineers farmers"
)
_FIRST_NAMES = _split(
    "Olena Taras Iryna Andriy Natalia Dmytro Kateryna Serhiy Oksana Yurii Maria Petro "
    "Sofia Bohdan Anna Mykola Daria Roman Halyna Vasyl"
)
_LAST_NAMES = _split(
    "Kovalenko Bondarenko Tkachenko Shevchenko Kravchenko Oliynyk Melnyk Koval Boyko "
    "Lysenko Marchenko Rudenko Savchenko Petrenko Moroz Pavlenko"
)
_TAGS = _split(
    "War Politics Economy Energy Culture Science Health Education Sport Kyiv Kharkiv "
    "Odesa Lviv Dnipro Zaporizhzhia Frontline Diplomacy Sanctions Reconstruction "
    "Agriculture Transport Technology Climate Justice Elections Media Refugees "
    "Investigations Opinion Explainers"
)
_JOB_TITLES = ("Reporter", "Senior reporter", "Correspondent", "Editor", "Photographer")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many rows of each kind to seed (CLI flags change them)."""

    feed_items: int = 10_000
    articles: int = 200
    authors: int = 20
    tags: int = 30
    videos: int = 40


@dataclass(frozen=True, slots=True)
class Seeded:
    """What was stored, for the report."""

    sizes: Sizes
    seed: int
    media_assets: int
    bylines: int
    article_tags: int
    article_videos: int
    feed_kinds: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Text:
    """Filler text from a small newsroom vocabulary: realistic lengths, no meaning."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(low, high)))

    def sentence(self, low: int = 8, high: int = 18) -> str:
        text = self.words(low, high)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: tuple[int, int] = (3, 5)) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def headline(self) -> str:
        return self.sentence(5, 11).rstrip(".")


def _ago(rng: random.Random) -> datetime:
    """A deterministic instant in the 30 days before ANCHOR, to the second."""
    return ANCHOR - timedelta(seconds=rng.randrange(SPAN_SECONDS))


_T = TypeVar("_T", Article, VideoEmbed)


def _published_at(row: Article | VideoEmbed) -> datetime:
    assert row.published_at is not None
    return row.published_at


def _published_by(
    rng: random.Random, rows_by_time: list[_T], times: list[datetime], at: datetime
) -> _T:
    """A random row of `rows_by_time` (with sorted publication `times`) that was
    published by `at`; the earliest row if none was."""
    count = bisect.bisect_right(times, at)
    return rows_by_time[rng.randrange(count)] if count else rows_by_time[0]


def _asset(
    asset_id: int, rng: random.Random, kind: str, size: tuple[int, int], text: _Text
) -> MediaAsset:
    key = f"bench/{kind}/{asset_id:05d}-{rng.getrandbits(32):08x}.jpg"
    width, height = size
    return MediaAsset(
        id=asset_id,
        key=key,
        filename=f"{kind}-{asset_id}.jpg",
        content_type="image/jpeg",
        byte_size=rng.randint(40_000, 900_000),
        width=width,
        height=height,
        checksum=hashlib.sha256(key.encode()).hexdigest(),
        alt_text=text.sentence(6, 12),
        caption=text.sentence(8, 16) if kind == "covers" else None,
        credit=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        renditions=[
            {
                "width": w,
                "height": round(height * w / width),
                "format": "webp",
                "key": f"{key}.{w}.webp",
            }
            for w in (320, 960)
            if w < width
        ],
        created_at=ANCHOR - timedelta(days=40),
    )


def build_rows(sizes: Sizes, seed: int) -> dict[str, list[Any]]:
    """Every row of the data set, in insertion order, without touching a database
    (so the data set itself can be inspected and tested)."""
    rng = random.Random(seed)
    text = _Text(rng)
    created = ANCHOR - timedelta(days=60)
    assets: list[MediaAsset] = []

    authors: list[Author] = []
    for i in range(1, sizes.authors + 1):
        desk = i > sizes.authors - 2 and sizes.authors > 4  # the last two are desks
        name = (
            f"{_TAGS[i % len(_TAGS)]} desk"
            if desk
            else f"{_FIRST_NAMES[i % len(_FIRST_NAMES)]} {rng.choice(_LAST_NAMES)}"
        )
        avatar = _asset(len(assets) + 1, rng, "avatars", (400, 400), text)
        assets.append(avatar)
        authors.append(
            Author(
                id=i,
                slug=f"{name.lower().replace(' ', '-')}-{i}",
                name=name,
                kind=AuthorKind.DESK if desk else AuthorKind.PERSON,
                title="News desk" if desk else rng.choice(_JOB_TITLES),
                # "a couple of paragraphs": the byline card's bio is the largest
                # text in the articles query, as it is on a real site
                bio="\n\n".join(text.paragraph() for _ in range(2)),
                avatar_id=avatar.id,
                email=f"author{i}@newsroom.example",
                links=[{"label": "Website", "url": f"https://newsroom.example/authors/{i}"}],
                created_at=created,
            )
        )

    tags = [
        Tag(
            id=i,
            slug=f"{name.lower()}-{i}" if i > len(_TAGS) else name.lower(),
            name=name if i <= len(_TAGS) else f"{name} {i}",
            name_key=(name if i <= len(_TAGS) else f"{name} {i}").casefold(),
            created_at=created,
        )
        for i, name in ((i, _TAGS[(i - 1) % len(_TAGS)]) for i in range(1, sizes.tags + 1))
    ]

    videos: list[VideoEmbed] = []
    for i in range(1, sizes.videos + 1):
        published = _ago(rng)
        if rng.random() < 0.75:
            vid = "".join(
                rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789") for _ in range(11)
            )
            provider, url = VideoProvider.YOUTUBE, f"https://www.youtube.com/watch?v={vid}"
            embed, thumb = (
                f"https://www.youtube-nocookie.com/embed/{vid}",
                f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg",
            )
        else:
            vid = str(rng.randint(100_000_000, 999_999_999))
            provider, url = VideoProvider.VIMEO, f"https://vimeo.com/{vid}"
            embed, thumb = f"https://player.vimeo.com/video/{vid}", None
        videos.append(
            VideoEmbed(
                id=i,
                url=url,
                provider=provider,
                provider_video_id=vid,
                embed_url=embed,
                title=text.headline(),
                description=text.sentence(),
                thumbnail_url=thumb,
                duration_seconds=rng.randint(30, 1200),
                status=ContentStatus.PUBLISHED,
                published_at=published,
                first_published_at=published,
                created_at=published - timedelta(hours=1),
            )
        )

    articles: list[Article] = []
    bylines: list[ArticleAuthor] = []
    article_tags: list[ArticleTag] = []
    article_videos: list[ArticleVideo] = []
    for i in range(1, sizes.articles + 1):
        published = _ago(rng)
        paragraphs = [text.paragraph((4, 8)) for _ in range(rng.randint(5, 12))]
        body_text = "\n\n".join(paragraphs)
        cover = _asset(len(assets) + 1, rng, "covers", rng.choice(((1600, 900), (1200, 800))), text)
        assets.append(cover)
        articles.append(
            Article(
                id=i,
                slug=f"article-{i}",
                title=text.headline(),
                dek=text.sentence(12, 24),
                body_format=BodyFormat.MARKDOWN,
                body_source=body_text,
                body_html="".join(f"<p>{p}</p>" for p in paragraphs),
                body_text=body_text,
                word_count=len(body_text.split()),
                language="en",
                cover_image_id=cover.id,
                status=ContentStatus.PUBLISHED,
                published_at=published,
                first_published_at=published,
                created_at=published - timedelta(hours=2),
            )
        )
        for position, author in enumerate(
            rng.sample(authors, min(rng.randint(1, 3), len(authors)))
        ):
            bylines.append(
                ArticleAuthor(
                    id=len(bylines) + 1, article_id=i, author_id=author.id, position=position
                )
            )
        for position, tag in enumerate(rng.sample(tags, min(rng.randint(2, 3), len(tags)))):
            article_tags.append(
                ArticleTag(id=len(article_tags) + 1, article_id=i, tag_id=tag.id, position=position)
            )
        if videos and rng.random() < 0.3:
            article_videos.append(
                ArticleVideo(
                    id=len(article_videos) + 1,
                    article_id=i,
                    video_id=rng.choice(videos).id,
                    position=0,
                )
            )

    # Kinds follow a fixed pattern down the feed, newest first: every page of 20
    # holds 16 updates, 3 article items and 1 video item, so page 1 exercises
    # every relation of the feed query and costs what any page costs. An ARTICLE
    # or VIDEO item points at something already published at its time.
    articles_by_time = sorted(articles, key=lambda a: (_published_at(a), a.id))
    videos_by_time = sorted(videos, key=lambda v: (_published_at(v), v.id))
    article_times = [_published_at(a) for a in articles_by_time]
    video_times = [_published_at(v) for v in videos_by_time]
    times = sorted((_ago(rng) for _ in range(sizes.feed_items)), reverse=True)
    feed: list[FeedItem] = []
    for index, published in enumerate(times):
        slot = index % FEED_PATTERN_LENGTH
        article_id = video_id = None
        if slot in FEED_ARTICLE_SLOTS and articles:
            kind = FeedItemKind.ARTICLE
            target_a = _published_by(rng, articles_by_time, article_times, published)
            article_id, headline = target_a.id, target_a.title
        elif slot in FEED_VIDEO_SLOTS and videos:
            kind = FeedItemKind.VIDEO
            target_v = _published_by(rng, videos_by_time, video_times, published)
            video_id, headline = target_v.id, target_v.title
        else:
            kind, headline = FeedItemKind.UPDATE, text.headline()
        feed.append(
            FeedItem(
                id=sizes.feed_items - index,  # ids grow with time, as they would
                kind=kind,
                headline=headline,
                summary=" ".join(text.sentence() for _ in range(rng.randint(1, 2))),
                article_id=article_id,
                video_id=video_id,
                pinned=rng.random() < 0.01,
                breaking=rng.random() < 0.04,
                language="en",
                status=ContentStatus.PUBLISHED,
                published_at=published,
                first_published_at=published,
                created_at=published,
            )
        )

    # Insertion order respects foreign keys.
    return {
        "media_asset": assets,
        "author": authors,
        "tag": tags,
        "video_embed": videos,
        "article": articles,
        "article_author": bylines,
        "article_tag": article_tags,
        "article_video": article_videos,
        "feed_item": feed,
    }


async def seed_database(database_url: str, sizes: Sizes, seed: int) -> Seeded:
    """Migrate an empty database and store the data set in it."""
    import time

    started = time.perf_counter()
    await run_migrations(
        Settings(env="production", database_url=database_url, secret_key=BENCH_SECRET)
    )
    rows = build_rows(sizes, seed)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        async with in_transaction() as conn:
            for objects in rows.values():
                if objects:
                    await type(objects[0]).bulk_create(objects, batch_size=500, using_db=conn)
        db = connections.get("default")
        if db.capabilities.dialect == "postgres":
            # Explicit ids leave the sequences at 1; move them past the data so
            # that anything inserted later (by hand, after --keep) does not clash.
            for table in rows:
                await db.execute_script(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608 (fixed names)
                    f" COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
        else:
            await db.execute_script("ANALYZE")
    finally:
        await Tortoise.close_connections()
    feed_kinds: dict[str, int] = {}
    for item in rows["feed_item"]:
        feed_kinds[str(item.kind)] = feed_kinds.get(str(item.kind), 0) + 1
    return Seeded(
        sizes=sizes,
        seed=seed,
        media_assets=len(rows["media_asset"]),
        bylines=len(rows["article_author"]),
        article_tags=len(rows["article_tag"]),
        article_videos=len(rows["article_video"]),
        feed_kinds=feed_kinds,
        seconds=round(time.perf_counter() - started, 2),
    )


def _pg_admin_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgres", path=f"/{database}"))


async def create_pg_database(server_url: str, name: str) -> str:
    """A new, empty database on the server of `server_url`; its URL.

    The benchmark never seeds into a database it did not create, so `--database`
    can point at any database of a server (its `postgres` one, say) without risk.
    """
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _pg_admin_url(server_url, name)


async def drop_pg_database(server_url: str, name: str) -> None:
    """Drop a database `create_pg_database` made."""
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
