"""Authorization: every root field declares its permission, and for every operation
an allowed caller passes the gate while a refused one is stopped with the right code.

The matrix must list every operation of the schema: adding a query or mutation
without a row here fails `test_matrix_covers_every_operation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.permission import PermissionExtension

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.accounts.service import create_api_token
from cms.accounts.tokens import TokenHasher
from schema import build_schema

from conftest import NOW, SECRET, GraphQLClient
from factories import make_user, session_for

MISSING_ID = "QXJ0aWNsZTo5OTk5OTk="  # Article:999999
ALL = {"public", "contributor", "author", "editor", "admin", "narrow_token"}
SIGNED_IN = ALL - {"public"}
WRITERS = {"contributor", "author", "editor", "admin"}
PUBLISHERS = {"author", "editor", "admin"}
EDITORS = {"editor", "admin"}
ART = "QXJ0aWNsZTo5OTk5OTk="  # Article:999999, missing: allowed callers get NOT_FOUND
AUTHOR = "QXV0aG9yOjk5OTk5OQ=="
ITEM = "RmVlZEl0ZW06OTk5OTk5"
VIDEO = "VmlkZW9FbWJlZDo5OTk5OTk="


@dataclass(frozen=True)
class Case:
    document: str
    allowed: frozenset[str]
    variables: dict[str, Any] | None = None
    upload: bool = False  # sent as a GraphQL multipart request with a small PNG
    websocket: bool = False  # a subscription: covered over websockets elsewhere

    @property
    def refused(self) -> frozenset[str]:
        return frozenset(ALL) - self.allowed


def case(
    document: str,
    allowed: set[str],
    variables: dict[str, Any] | None = None,
    upload: bool = False,
    websocket: bool = False,
) -> Case:
    return Case(document, frozenset(allowed), variables, upload, websocket)


MATRIX: dict[str, Case] = {
    "node": case(f'{{ node(id: "{MISSING_ID}") {{ id }} }}', ALL),
    "me": case("{ me { email } }", ALL),
    "users": case("{ users { edges { node { email } } } }", {"admin"}),
    "article": case('{ article(slug: "x") { id } }', ALL),
    "articles": case("{ articles { edges { node { id } } } }", ALL),
    "author": case('{ author(slug: "x") { id } }', ALL),
    "authors": case("{ authors { edges { node { id } } } }", ALL),
    "feed": case("{ feed { edges { node { id } } } }", ALL),
    "video": case('{ video(id: "VmlkZW9FbWJlZDo5OTk=") { id } }', ALL),
    "videos": case("{ videos { edges { node { id } } } }", ALL),
    "tags": case("{ tags { id } }", ALL),
    "login": case(
        'mutation { login(email: "nobody@example.org", password: "whatever12345") { token } }',
        ALL,
    ),
    "changePassword": case(
        'mutation { changePassword(currentPassword: "wrong one here", newPassword: "x") }',
        SIGNED_IN,
    ),
    "createUser": case(
        'mutation { createUser(input: {email: "n@example.org", name: "N", role: EDITOR,'
        ' password: "long enough pw"}) { id } }',
        {"admin"},
    ),
    "updateUser": case(
        'mutation { updateUser(id: "VXNlcjo5OTk5OTk=", input: {name: "X"}) { id } }', {"admin"}
    ),
    "createApiToken": case(
        'mutation { createApiToken(input: {name: "t", scopes: [CONTENT_READ]}) { token } }',
        SIGNED_IN,
    ),
    "revokeApiToken": case('mutation { revokeApiToken(id: "QXBpVG9rZW46OTk5OTk5") }', SIGNED_IN),
    "enableTotp": case("mutation { enableTotp { secret } }", SIGNED_IN),
    "confirmTotp": case('mutation { confirmTotp(code: "000000") }', SIGNED_IN),
    "disableTotp": case('mutation { disableTotp(code: "000000") }', SIGNED_IN),
    "articleRevisions": case(f'{{ articleRevisions(id: "{ART}") {{ number }} }}', SIGNED_IN),
    "createAuthor": case('mutation { createAuthor(input: {name: "N"}) { id } }', EDITORS),
    "updateAuthor": case(
        f'mutation {{ updateAuthor(id: "{AUTHOR}", input: {{name: "N"}}) {{ id }} }}', EDITORS
    ),
    "deleteAuthor": case(f'mutation {{ deleteAuthor(id: "{AUTHOR}") }}', EDITORS),
    "createArticle": case(
        'mutation { createArticle(input: {title: "T", body: "B"}) { id } }', WRITERS
    ),
    "updateArticle": case(
        f'mutation {{ updateArticle(id: "{ART}", version: 1, input: {{title: "T"}}) {{ id }} }}',
        WRITERS,
    ),
    "publishArticle": case(f'mutation {{ publishArticle(id: "{ART}") {{ id }} }}', PUBLISHERS),
    "unpublishArticle": case(f'mutation {{ unpublishArticle(id: "{ART}") {{ id }} }}', PUBLISHERS),
    "addCorrection": case(
        f'mutation {{ addCorrection(articleId: "{ART}", input: {{kind: UPDATE, text: "x"}})'
        " { id } }",
        WRITERS,
    ),
    "restoreArticleRevision": case(
        f'mutation {{ restoreArticleRevision(id: "{ART}", revision: 1, version: 1) {{ id }} }}',
        WRITERS,
    ),
    "deleteArticle": case(f'mutation {{ deleteArticle(id: "{ART}") }}', WRITERS),
    "createPreviewToken": case(f'mutation {{ createPreviewToken(articleId: "{ART}") }}', SIGNED_IN),
    "createFeedItem": case(
        'mutation { createFeedItem(input: {kind: UPDATE, headline: "H"}) { id } }', EDITORS
    ),
    "updateFeedItem": case(
        f'mutation {{ updateFeedItem(id: "{ITEM}", version: 1, input: {{headline: "H"}})'
        " { id } }",
        EDITORS,
    ),
    "publishFeedItem": case(f'mutation {{ publishFeedItem(id: "{ITEM}") {{ id }} }}', EDITORS),
    "unpublishFeedItem": case(f'mutation {{ unpublishFeedItem(id: "{ITEM}") {{ id }} }}', EDITORS),
    "deleteFeedItem": case(f'mutation {{ deleteFeedItem(id: "{ITEM}") }}', EDITORS),
    "createVideoEmbed": case(
        'mutation { createVideoEmbed(input: {url: "https://youtu.be/dQw4w9WgXcQ", title: "T"})'
        " { id } }",
        EDITORS,
    ),
    "updateVideoEmbed": case(
        f'mutation {{ updateVideoEmbed(id: "{VIDEO}", version: 1, input: {{title: "T"}})'
        " { id } }",
        EDITORS,
    ),
    "publishVideoEmbed": case(f'mutation {{ publishVideoEmbed(id: "{VIDEO}") {{ id }} }}', EDITORS),
    "unpublishVideoEmbed": case(
        f'mutation {{ unpublishVideoEmbed(id: "{VIDEO}") {{ id }} }}', EDITORS
    ),
    "deleteVideoEmbed": case(f'mutation {{ deleteVideoEmbed(id: "{VIDEO}") }}', EDITORS),
    "feedChanges": case("{ feedChanges { nextSince } }", ALL),
    "feedEvents": case("subscription { feedEvents { id } }", ALL, websocket=True),
    "webhooks": case("{ webhooks { id } }", {"admin"}),
    "createWebhook": case(
        'mutation { createWebhook(input: {url: "https://203.0.113.1/hook",'
        ' events: ["article.published"]}) { secret } }',
        {"admin"},
    ),
    "deleteWebhook": case('mutation { deleteWebhook(id: "V2ViaG9vazo5OTk=") }', {"admin"}),
    "mediaAsset": case('{ mediaAsset(id: "TWVkaWFBc3NldDo5OTk=") { id } }', SIGNED_IN),
    "mediaAssets": case("{ mediaAssets { edges { node { id } } } }", SIGNED_IN),
    "uploadMedia": case(
        "mutation($file: Upload!) { uploadMedia(file: $file) { id } }", WRITERS, upload=True
    ),
    "createMediaUpload": case(
        'mutation { createMediaUpload(input: {filename: "a.png", contentType: "image/png",'
        " byteSize: 100}) { url } }",
        WRITERS,
    ),
    "completeMediaUpload": case(
        'mutation { completeMediaUpload(id: "TWVkaWFBc3NldDo5OTk=") { id } }', WRITERS
    ),
    "updateMediaAsset": case(
        'mutation { updateMediaAsset(id: "TWVkaWFBc3NldDo5OTk=", input: {caption: "c"}) { id } }',
        WRITERS,
    ),
    "deleteMediaAsset": case('mutation { deleteMediaAsset(id: "TWVkaWFBc3NldDo5OTk=") }', WRITERS),
    # last: it ends the caller's session
    "logout": case("mutation { logout }", SIGNED_IN),
}


def root_fields() -> dict[str, Any]:
    schema = build_schema()
    fields: dict[str, Any] = {}
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        if definition is not None:
            for field in definition.fields:  # type: ignore[union-attr]
                fields[schema.config.name_converter.get_graphql_name(field)] = field
    return fields


def test_every_root_field_declares_a_permission() -> None:
    """No query, mutation or subscription field exists without a PermissionExtension."""
    missing = [
        name
        for name, field in root_fields().items()
        if not any(isinstance(e, PermissionExtension) for e in field.extensions)
    ]
    assert missing == []


def test_matrix_covers_every_operation() -> None:
    """Every operation of the schema has a row in the matrix, and only those."""
    assert set(MATRIX) == set(root_fields())


async def _callers(passwords: Passwords) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {"public": {}}
    for role in Role:
        user = await make_user(passwords, role=role)
        token = await session_for(user, NOW, SECRET)
        headers[role.value.lower()] = {"Authorization": f"Bearer {token}"}
        if role is Role.ADMIN:
            from cms.accounts.actor import Actor, Scope
            from cms.accounts.permissions import ROLE_SCOPES

            actor = Actor(user_id=user.id, role=role, scopes=ROLE_SCOPES[role])
            narrow, _ = await create_api_token(
                actor=actor,
                name="narrow",
                scopes=[Scope.CONTENT_READ],
                expires_at=None,
                now=NOW,
                hasher=TokenHasher(SECRET),
            )
            headers["narrow_token"] = {"Authorization": f"Bearer {narrow}"}
    return headers


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


async def _upload(gql: GraphQLClient, document: str, headers: dict[str, str]) -> dict[str, Any]:
    import json

    response = await gql.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": document, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("a.png", _png(), "image/png")},
        headers={**headers, "X-CMS-CSRF": "1"},
    )
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("app")
async def test_permission_matrix(gql: GraphQLClient, passwords: Passwords) -> None:
    """Allowed callers pass the gate (whatever the operation then answers); refused
    ones get UNAUTHENTICATED (the public) or FORBIDDEN (everyone else)."""
    callers = await _callers(passwords)
    problems = []
    for name, row in MATRIX.items():
        if row.websocket:
            continue  # public; see tests/feed/test_live_events.py
        for caller, headers in callers.items():
            result = (
                await _upload(gql, row.document, headers)
                if row.upload
                else await gql(row.document, row.variables, **headers)
            )
            codes = {e["extensions"]["code"] for e in result.get("errors", [])}
            if caller in row.allowed:
                if codes & {"UNAUTHENTICATED", "FORBIDDEN"} and name != "login":
                    problems.append(f"{name}: {caller} refused: {result}")
            else:
                expected = "UNAUTHENTICATED" if caller == "public" else "FORBIDDEN"
                if codes != {expected}:
                    problems.append(f"{name}: {caller} got {codes}, expected {expected}")
    assert problems == []
