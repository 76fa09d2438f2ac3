"""Full-text search: ranked, under the visibility rule, paged by keyset, and the
search string is data (quotes, operators and Cyrillic are words)."""

from __future__ import annotations

import pytest

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET, GraphQLClient
from factories import staff

SEARCH = """query($q: String!, $first: Int, $after: String, $lang: String) {
  articles(first: $first, after: $after, filter: {search: $q, language: $lang}) {
    edges { node { slug } } pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation($input: ArticleInput!) { createArticle(input: $input) { id } }"""
PUBLISH = "mutation($id: ID!) { publishArticle(id: $id, addToFeed: false) { status } }"


async def _publish(
    gql: GraphQLClient, auth: dict[str, str], publish: bool = True, **fields: object
) -> None:
    created = await gql(CREATE, {"input": fields}, **auth)
    if publish:
        await gql(PUBLISH, {"id": created["data"]["createArticle"]["id"]}, **auth)


async def _slugs(gql: GraphQLClient, q: str, **variables: object) -> list[str]:
    result = await gql(SEARCH, {"q": q, **variables})
    assert "errors" not in result, result
    return [e["node"]["slug"] for e in result["data"]["articles"]["edges"]]


@pytest.mark.usefixtures("app")
async def test_search_ranks_title_matches_first(gql: GraphQLClient, passwords: Passwords) -> None:
    """A word in the title outranks the same word in the body; drafts never show."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    await _publish(
        gql, auth, title="Power grid repairs", slug="in-body", body="Crews fix substations."
    )
    await _publish(
        gql,
        auth,
        title="Substations hit overnight",
        slug="in-title",
        body="Damage across the region.",
    )
    await _publish(
        gql, auth, publish=False, title="Substations draft", slug="draft", body="Not yet."
    )
    assert await _slugs(gql, "substations") == ["in-title", "in-body"]


@pytest.mark.usefixtures("app")
async def test_search_strings_are_words_not_syntax(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Quotes, operators, parentheses and Cyrillic never fail; they match as words."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    await _publish(
        gql,
        auth,
        title="Енергетики відновили живлення",
        slug="uk",
        language="uk",
        body="Бригади працювали всю ніч.",
    )
    await _publish(gql, auth, title="Air defence NOT idle", slug="en", body="OR AND NEAR")
    assert await _slugs(gql, "ЕНЕРГЕТИКИ") == ["uk"]
    assert await _slugs(gql, "бригади ніч") == ["uk"]
    for hostile in [
        '"unclosed',
        "NOT",
        "air OR",
        "*",
        "(",
        "title:air",
        "a AND",
        "NEAR(",
        "-",
        "'; DROP TABLE article; --",
    ]:
        result = await gql(SEARCH, {"q": hostile})
        assert "errors" not in result, (hostile, result)
    assert await _slugs(gql, "NOT idle") == ["en"]
    assert await _slugs(gql, "") == []


@pytest.mark.usefixtures("app")
async def test_search_pages_by_keyset(gql: GraphQLClient, passwords: Passwords) -> None:
    """Search results page without duplicates; a cursor works only for its own search."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    for i in range(7):
        await _publish(
            gql, auth, title=f"Drone strike report {i}", slug=f"s{i}", body="drone " * (i + 1)
        )
    seen, after = [], None
    while True:
        result = (await gql(SEARCH, {"q": "drone", "first": 3, "after": after}))["data"]["articles"]
        seen += [e["node"]["slug"] for e in result["edges"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"s{i}" for i in range(7)]
    other = await gql(SEARCH, {"q": "strike", "first": 3, "after": after})
    assert other["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.usefixtures("app")
async def test_search_follows_edits_and_filters(gql: GraphQLClient, passwords: Passwords) -> None:
    """The index follows the article in the same transaction; filters narrow it."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    await _publish(gql, auth, title="Ceasefire talks", slug="talks", body="Delegations meet.")
    await _publish(gql, auth, title="Переговори", slug="talks-uk", language="uk", body="Ceasefire")
    assert sorted(await _slugs(gql, "ceasefire")) == ["talks", "talks-uk"]
    assert await _slugs(gql, "ceasefire", lang="uk") == ["talks-uk"]
    article = (await gql('{ article(slug: "talks") { id version } }'))["data"]["article"]
    await gql(
        'mutation($id: ID!, $v: Int!) { updateArticle(id: $id, version: $v, input: {title: "Truce"}) { id } }',
        {"id": article["id"], "v": article["version"]},
        **auth,
    )
    assert await _slugs(gql, "truce") == ["talks"]
    assert await _slugs(gql, "ceasefire") == ["talks-uk"]
