"""The demo newsroom's content, checked without a database: shape, times and links."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from cms.articles.body import render_body
from cms.articles.models import BodyFormat
from cms.authors.models import AuthorKind
from cms.demo import (
    AUTHORS,
    DRAFT_ARTICLE,
    PUBLISHED_ARTICLES,
    SCHEDULED_ARTICLE,
    TRANSLATIONS,
    UPDATES,
    VIDEO,
    ArticleSeed,
)
from cms.slugs import slugify_title
from cms.videos.models import VideoProvider
from cms.videos.urls import parse_video_url

ALL_ARTICLES = (*PUBLISHED_ARTICLES, DRAFT_ARTICLE, SCHEDULED_ARTICLE)
AUTHOR_KEYS = {author.key for author in AUTHORS}
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")


def _is_example_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "") in EXAMPLE_DOMAINS


def _text_blocks(seed: ArticleSeed) -> list[str]:
    return [block for block in seed.paragraphs if not block.startswith("#")]


def test_there_are_twelve_published_articles_within_three_days() -> None:
    """Twelve published stories, all dated in the three days before `now`."""
    assert len(PUBLISHED_ARTICLES) == 12
    for seed in PUBLISHED_ARTICLES:
        assert seed.hours_ago is not None and 0 < seed.hours_ago <= 72, seed.key


@pytest.mark.parametrize("seed", ALL_ARTICLES, ids=lambda seed: seed.key)
def test_each_article_is_complete(seed: ArticleSeed) -> None:
    """Every article has a title, a dek, 4-7 paragraphs, 1-3 known bylines, tags and sources."""
    assert seed.title and seed.dek
    assert 4 <= len(_text_blocks(seed)) <= 7
    assert 1 <= len(seed.authors) <= 3
    assert set(seed.authors) <= AUTHOR_KEYS
    assert len(set(seed.authors)) == len(seed.authors)
    assert 1 <= len(seed.tags) <= 3
    assert len({tag.casefold() for tag in seed.tags}) == len(seed.tags)
    assert 1 <= len(seed.sources) <= 3
    assert all(source.url is None or _is_example_url(source.url) for source in seed.sources)


@pytest.mark.parametrize("seed", PUBLISHED_ARTICLES, ids=lambda seed: seed.key)
def test_published_articles_have_two_or_three_tags(seed: ArticleSeed) -> None:
    """Published stories are filed under two or three tags."""
    assert 2 <= len(seed.tags) <= 3


@pytest.mark.parametrize("seed", ALL_ARTICLES, ids=lambda seed: seed.key)
def test_bodies_render_to_safe_html_with_words(seed: ArticleSeed) -> None:
    """Each body renders as Markdown to non-empty HTML with a realistic word count."""
    body = render_body(seed.body, BodyFormat.MARKDOWN)

    assert body.html.startswith("<")
    assert body.word_count >= 50


def test_slugs_are_unique() -> None:
    """No two articles' titles, translations included, produce the same slug."""
    titles = [seed.title for seed in ALL_ARTICLES] + [t.title for t in TRANSLATIONS]
    slugs = [slugify_title(title) for title in titles]

    assert len(set(slugs)) == len(slugs)


def test_authors_are_a_desk_and_two_reporters() -> None:
    """One "News desk" desk byline and two reporters with titles, bios and a link each."""
    desks = [a for a in AUTHORS if a.kind is AuthorKind.DESK]
    people = [a for a in AUTHORS if a.kind is AuthorKind.PERSON]

    assert [(d.name, d.title) for d in desks] == [("News desk", "News desk")]
    assert len(people) == 2
    for person in people:
        assert person.title
        assert 2 <= person.bio.count(". ") + 1 <= 3
        assert person.links and all(_is_example_url(link.url) for link in person.links)


def test_translation_is_ukrainian_and_points_at_a_published_article() -> None:
    """The translation is in Ukrainian and translates one of the published stories."""
    published = {seed.key: seed for seed in PUBLISHED_ARTICLES}
    (translation,) = TRANSLATIONS

    assert translation.language == "uk"
    assert translation.of in published
    assert any("а" <= ch <= "я" for ch in translation.title.lower())
    assert 4 <= len(translation.paragraphs) <= 7
    assert slugify_title(translation.title).isascii()


def test_video_is_a_youtube_watch_link_attached_to_a_published_article() -> None:
    """The demo video parses as YouTube and belongs to a published story."""
    parsed = parse_video_url(VIDEO.watch_url)

    assert parsed.provider is VideoProvider.YOUTUBE
    assert parsed.url == VIDEO.watch_url
    assert VIDEO.article in {seed.key for seed in PUBLISHED_ARTICLES}


def test_the_breaking_update_is_pinned_and_the_newest_feed_item() -> None:
    """Six to eight updates, exactly one pinned and breaking, and it is newer than anything else."""
    assert 6 <= len(UPDATES) <= 8
    flagged = [u for u in UPDATES if u.pinned or u.breaking]
    assert len(flagged) == 1 and flagged[0].pinned and flagged[0].breaking

    newest_minutes = flagged[0].minutes_ago
    other_minutes = [u.minutes_ago for u in UPDATES if u is not flagged[0]]
    other_minutes += [seed.hours_ago * 60 for seed in PUBLISHED_ARTICLES if seed.hours_ago]
    other_minutes += [t.hours_ago * 60 for t in TRANSLATIONS]
    other_minutes.append(VIDEO.hours_ago * 60)
    assert newest_minutes > 0
    assert all(newest_minutes < minutes for minutes in other_minutes)


def test_drafts_and_scheduled_articles_carry_no_publication_age() -> None:
    """The unpublished articles are not given a time in the past."""
    assert DRAFT_ARTICLE.hours_ago is None
    assert SCHEDULED_ARTICLE.hours_ago is None
