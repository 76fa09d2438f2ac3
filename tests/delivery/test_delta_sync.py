"""Delta sync: a client replaying `feedChanges` ends with exactly the public feed,
whatever happened between its syncs (property-based, on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay import to_base64

from cms.accounts.actor import SYSTEM
from cms.authors.service import AuthorFields, update_author
from cms.clock import FixedClock
from cms.delivery.bus import LocalBus
from cms.delivery.epoch import LocalEpoch
from cms.delivery.worker import work_once
from cms.feed import service
from cms.feed.models import FeedItem, FeedItemKind
from cms.feed.service import FeedItemFields

from conftest import NOW, GraphQLClient
from factories import make_article, make_author

CHANGES = """query($since: String, $first: Int) {
  feedChanges(since: $since, first: $first) {
    items { id headline } deletedIds nextSince hasMore
  }
}"""
FEED = "{ feed(first: 100) { edges { node { id headline } } } }"


class Client:
    """A mobile app's local copy of the feed, kept by delta sync."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.since: str | None = None

    async def sync(self, gql: GraphQLClient, page: int = 3) -> None:
        while True:
            result = await gql(CHANGES, {"since": self.since, "first": page})
            assert "errors" not in result, result
            changes = result["data"]["feedChanges"]
            if self.since is None:
                assert changes["deletedIds"] == []
            for item in changes["items"]:
                self.items[item["id"]] = item["headline"]
            for gone in changes["deletedIds"]:
                self.items.pop(gone, None)
            self.since = changes["nextSince"]
            if not changes["hasMore"]:
                return


async def public_feed(gql: GraphQLClient) -> dict[str, str]:
    edges = (await gql(FEED))["data"]["feed"]["edges"]
    return {e["node"]["id"]: e["node"]["headline"] for e in edges}


async def background(clock: FixedClock) -> None:
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 0)),
        st.tuples(st.just("publish"), st.integers(0, 7)),
        st.tuples(st.just("schedule"), st.integers(0, 7)),
        st.tuples(st.just("update"), st.integers(0, 7)),
        st.tuples(st.just("unpublish"), st.integers(0, 7)),
        st.tuples(st.just("delete"), st.integers(0, 7)),
        st.tuples(st.just("tick"), st.integers(1, 120)),
        st.tuples(st.just("sync"), st.integers(1, 4)),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.usefixtures("app")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=OPS)
async def test_replaying_syncs_gives_the_public_feed(
    gql: GraphQLClient, clock: FixedClock, ops: list[tuple[str, int]]
) -> None:
    """Random creates, publishes, schedules, updates, unpublishes, deletes, clock
    ticks and syncs: after a last sync the client holds exactly the public feed."""
    await FeedItem.all().delete()  # hypothesis reuses the database between examples
    client = Client()
    ids: list[int] = []
    counter = 0
    for op, arg in ops:
        now = clock.now()
        if op == "create":
            counter += 1
            item = await service.create_feed_item(
                actor=SYSTEM,
                fields=FeedItemFields(kind=FeedItemKind.UPDATE, headline=f"Update {counter}"),
            )
            ids.append(item.id)
            continue
        if op == "tick":
            clock.advance(seconds=arg)
            await background(clock)
            continue
        if op == "sync":
            await client.sync(gql, page=arg)
            continue
        if not ids:
            continue
        item_id = ids[arg % len(ids)]
        row = await FeedItem.get(id=item_id)
        if row.deleted_at is not None:
            continue
        if op == "publish":
            await service.publish_feed_item(actor=SYSTEM, item_id=item_id, publish_at=None, now=now)
        elif op == "schedule":
            await service.publish_feed_item(
                actor=SYSTEM, item_id=item_id, publish_at=now + timedelta(seconds=30), now=now
            )
        elif op == "update":
            counter += 1
            await service.update_feed_item(
                actor=SYSTEM,
                item_id=item_id,
                version=row.version,
                fields=FeedItemFields(headline=f"Edited {counter}"),
                now=now,
            )
        elif op == "unpublish":
            await service.unpublish_feed_item(actor=SYSTEM, item_id=item_id, now=now)
        elif op == "delete":
            await service.delete_feed_item(actor=SYSTEM, item_id=item_id, now=now)
    clock.advance(seconds=60)
    await background(clock)
    await client.sync(gql)
    assert client.items == await public_feed(gql)


@pytest.mark.usefixtures("app")
async def test_first_sync_and_bad_tokens(gql: GraphQLClient, clock: FixedClock) -> None:
    """A first sync lists the public items and no deletions; a forged token is
    BAD_USER_INPUT."""
    item = await service.create_feed_item(
        actor=SYSTEM, fields=FeedItemFields(kind=FeedItemKind.UPDATE, headline="Live")
    )
    await service.publish_feed_item(actor=SYSTEM, item_id=item.id, publish_at=None, now=NOW)
    first = (await gql(CHANGES, {"since": None, "first": 10}))["data"]["feedChanges"]
    assert first["items"] == [{"id": to_base64("FeedItem", item.id), "headline": "Live"}]
    assert (first["deletedIds"], first["hasMore"]) == ([], False)
    await service.unpublish_feed_item(actor=SYSTEM, item_id=item.id, now=NOW)
    later = (await gql(CHANGES, {"since": first["nextSince"], "first": 10}))["data"]["feedChanges"]
    assert later["deletedIds"] == [to_base64("FeedItem", item.id)]
    for bad in ("garbage", first["nextSince"][:-3] + "AAA"):
        result: dict[str, Any] = await gql(CHANGES, {"since": bad, "first": 10})
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert result["errors"][0]["extensions"]["fields"][0]["field"] == "since"


@pytest.mark.usefixtures("app")
async def test_scheduled_items_enter_the_stream_at_their_time(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    """A scheduled item is not in the change stream until its time, and then once."""
    client = Client()
    await client.sync(gql)
    item = await service.create_feed_item(
        actor=SYSTEM, fields=FeedItemFields(kind=FeedItemKind.UPDATE, headline="At noon")
    )
    await service.publish_feed_item(
        actor=SYSTEM, item_id=item.id, publish_at=NOW + timedelta(minutes=5), now=NOW
    )
    await background(clock)
    await client.sync(gql)
    assert client.items == {}
    clock.advance(minutes=5)
    await background(clock)
    await client.sync(gql)
    assert list(client.items.values()) == ["At noon"]


@pytest.mark.usefixtures("app")
async def test_a_renamed_author_resends_the_feed_items_of_their_articles(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    """The feed shows bylines: when an author is renamed, delta sync hands out again
    the feed items of their articles (and only those)."""
    writer, other = await make_author(name="Olena"), await make_author(name="Taras")
    theirs = await make_article(published_at=NOW - timedelta(hours=1), authors=[writer])
    not_theirs = await make_article(published_at=NOW - timedelta(hours=1), authors=[other])
    items = {}
    for article in (theirs, not_theirs):
        item = await service.create_feed_item(
            actor=SYSTEM,
            fields=FeedItemFields(
                kind=FeedItemKind.ARTICLE, headline=article.title, article_id=article.id
            ),
        )
        await service.publish_feed_item(actor=SYSTEM, item_id=item.id, publish_at=None, now=NOW)
        items[article.id] = to_base64("FeedItem", item.id)
    since = (await gql(CHANGES, {"first": 10}))["data"]["feedChanges"]["nextSince"]

    await update_author(
        actor=SYSTEM,
        author_id=writer.id,
        version=None,
        fields=AuthorFields(name="Olena Kovalenko"),
        now=NOW,
    )
    changed = """query($since: String) { feedChanges(since: $since) {
      items { id article { authors { name } } } deletedIds } }"""
    result = (await gql(changed, {"since": since}))["data"]["feedChanges"]
    assert result["items"] == [
        {"id": items[theirs.id], "article": {"authors": [{"name": "Olena Kovalenko"}]}}
    ]
    assert result["deletedIds"] == []
