"""The GraphQL documents the benchmark drives: two public reads a news site's front
page makes on every view. They are constants so that every run, on every machine,
sends byte-identical requests."""

from __future__ import annotations

import json
from dataclasses import dataclass

ARTICLES = (
    "{ articles(first: 20) { edges { node { id title publishedAt authors { name bio } } } } }"
)

FEED = (
    "{ feed(first: 20) { edges { node { id kind headline summary publishedAt pinned breaking"
    " article { id title dek readingTimeMinutes"
    " authors { name title bio avatar { url } }"
    " coverImage { url width height altText }"
    " tags { slug name } }"
    " video { id title embedUrl thumbnailUrl } } }"
    " pageInfo { hasNextPage endCursor } } }"
)


@dataclass(frozen=True, slots=True)
class Document:
    """One benchmarked query: a short name for tables and files, and its POST body."""

    name: str
    query: str
    # What a correct answer must contain, checked before any load is sent: a
    # benchmark of empty or failing answers would measure nothing.
    connection: str

    @property
    def body(self) -> bytes:
        """The exact request body sent by every load generator (compact JSON)."""
        return json.dumps({"query": self.query}, separators=(",", ":")).encode()


DOCUMENTS: dict[str, Document] = {
    "articles": Document("articles", ARTICLES, connection="articles"),
    "feed": Document("feed", FEED, connection="feed"),
}
