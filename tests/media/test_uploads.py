"""Uploads end to end, with both storage drivers (a local directory, and S3 over the
real protocol on moto_server): through GraphQL and direct to storage, refusals,
no orphans, no dangling rows."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.assets.models import AssetState, MediaAsset
from cms.clock import FixedClock
from cms.settings import Settings
from media.s3 import S3Storage

from conftest import NOW, SECRET, GraphQLClient
from factories import staff

UPLOAD = """mutation($file: Upload!, $input: MediaInput) {
  uploadMedia(file: $file, input: $input) {
    id url key filename contentType byteSize width height checksum altText
    renditions { width height format url }
  }
}"""
TICKET = """mutation($input: MediaUploadInput!) {
  createMediaUpload(input: $input) { asset { id key } url fields expiresAt }
}"""
COMPLETE = """mutation($id: ID!) {
  completeMediaUpload(id: $id) { id url contentType byteSize width height checksum renditions { width } }
}"""
CSRF = {"X-CMS-CSRF": "1"}


def jpeg(width: int = 1600, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def png(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 120, 200, 255)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def http(
    settings: Settings, clock: FixedClock, passwords: Passwords, storage: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on each storage driver in turn (the `storage` fixture)."""
    app = create_app(settings, clock=clock, passwords=passwords, storage=storage, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def multipart(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    content: bytes,
    name: str,
    declared: str,
    headers: dict[str, str] = CSRF,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    operations = {"query": UPLOAD, "variables": {"file": None, **(variables or {})}}
    return await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, declared)},
        headers={**auth, **headers},
    )


async def fetch(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET a media URL: the app's own /media/ in process, anything else over the network."""
    if url.startswith("http://testserver/"):
        return await http.get(url)
    async with httpx.AsyncClient() as network:
        return await network.get(url)


@pytest.mark.parametrize(("content", "kind"), [(jpeg(), "image/jpeg"), (png(), "image/png")])
async def test_upload_through_graphql(
    http: httpx.AsyncClient, passwords: Passwords, content: bytes, kind: str
) -> None:
    """A JPEG or PNG uploaded through the API is stored under a server key, measured,
    given WebP renditions, and served back byte for byte."""
    import hashlib

    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    response = await multipart(
        http,
        auth,
        content,
        "../../etc/passwd.jpg",
        "application/octet-stream",
        variables={"input": {"altText": "A field hospital"}},
    )
    body = response.json()
    assert "errors" not in body, body
    asset = body["data"]["uploadMedia"]
    assert asset["contentType"] == kind
    assert asset["byteSize"] == len(content)
    assert asset["checksum"] == hashlib.sha256(content).hexdigest()
    assert asset["filename"] == "passwd.jpg"
    assert asset["key"].startswith("2026/11/26/") and "passwd" not in asset["key"]
    assert asset["altText"] == "A field hospital"
    served = await fetch(http, asset["url"])
    assert served.status_code == 200
    assert served.content == content
    for rendition in asset["renditions"]:
        got = await fetch(http, rendition["url"])
        assert Image.open(io.BytesIO(got.content)).size == (rendition["width"], rendition["height"])
    assert [r["width"] for r in asset["renditions"]] == (
        [320, 640, 1280] if kind == "image/jpeg" else [320]
    )


@pytest.mark.parametrize(("content", "kind"), [(jpeg(), "image/jpeg"), (png(), "image/png")])
async def test_direct_upload(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any, content: bytes, kind: str
) -> None:
    """A presigned POST pinned to key, type and size; the file goes straight to
    storage; completing the upload checks and measures what arrived."""
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    ticket = (
        await http.post(
            "/graphql",
            json={
                "query": TICKET,
                "variables": {
                    "input": {"filename": "photo", "contentType": kind, "byteSize": len(content)}
                },
            },
            headers=auth,
        )
    ).json()
    ticket = ticket["data"]["createMediaUpload"]
    form = ticket["fields"]
    assert form["Content-Type"] == kind
    if isinstance(storage, S3Storage):
        # moto enforces no policy: decode the one we made and check its pins
        policy = json.loads(base64.b64decode(form["policy"]))
        conditions = policy["conditions"]
        assert {"Content-Type": kind} in conditions
        assert ["content-length-range", 1, len(content)] in conditions
        assert {"key": ticket["asset"]["key"]} in conditions or {
            "bucket": storage.bucket
        } in conditions
        async with httpx.AsyncClient() as network:
            sent = await network.post(
                ticket["url"], data=form, files={"file": ("photo", content, kind)}
            )
    else:
        sent = await http.post(ticket["url"], data=form, files={"file": ("photo", content, kind)})
    assert sent.status_code in (200, 204), sent.text
    done = (
        await http.post(
            "/graphql",
            json={"query": COMPLETE, "variables": {"id": ticket["asset"]["id"]}},
            headers=auth,
        )
    ).json()
    assert "errors" not in done, done
    asset = done["data"]["completeMediaUpload"]
    assert (asset["contentType"], asset["byteSize"]) == (kind, len(content))
    assert (await fetch(http, asset["url"])).content == content
    assert (await MediaAsset.get()).state == AssetState.READY


@pytest.mark.parametrize(
    ("content", "name", "declared"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.svg",
            "image/svg+xml",
        ),
        (b"just some text pretending\n", "photo.jpg", "image/jpeg"),
        (b"<!doctype html><html><script>alert(1)</script></html>", "x.png", "image/png"),
    ],
)
async def test_unsupported_content_is_refused(
    http: httpx.AsyncClient,
    passwords: Passwords,
    storage: Any,
    content: bytes,
    name: str,
    declared: str,
) -> None:
    """SVG, text named .jpg, HTML declared as PNG: UNSUPPORTED_MEDIA_TYPE, nothing stored."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    body = (await multipart(http, auth, content, name, declared)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert await MediaAsset.all().count() == 0
    await assert_storage_empty(storage)


async def assert_storage_empty(storage: Any) -> None:
    if isinstance(storage, S3Storage):
        listed = storage.client.list_objects_v2(Bucket=storage.bucket)
        assert listed.get("KeyCount", 0) == 0
    else:
        assert not storage.root.exists() or not any(p.is_file() for p in storage.root.rglob("*"))


async def test_decompression_bomb_is_a_clean_error(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any
) -> None:
    """A tiny PNG claiming 20000 x 20000 pixels is refused without being decoded."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    body = (await multipart(http, auth, bomb.getvalue(), "bomb.png", "image/png")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "too large" in body["errors"][0]["message"]
    await assert_storage_empty(storage)


async def test_uploads_need_the_csrf_header(http: httpx.AsyncClient, passwords: Passwords) -> None:
    """A multipart post without Apollo-Require-Preflight or X-CMS-CSRF is refused."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    response = await multipart(http, auth, png(), "a.png", "image/png", headers={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    ok = await multipart(
        http, auth, png(), "a.png", "image/png", headers={"Apollo-Require-Preflight": "true"}
    )
    assert "errors" not in ok.json()


async def test_the_public_cannot_upload(http: httpx.AsyncClient) -> None:
    """Without a token, an upload is UNAUTHENTICATED."""
    body = (await multipart(http, {}, png(), "a.png", "image/png")).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("app")
async def test_a_file_must_be_a_multipart_part(gql: GraphQLClient, passwords: Passwords) -> None:
    """A value where the file should be, inline or as a JSON variable, is BAD_USER_INPUT
    on `file`, never an internal error (found by the GraphQL fuzzer)."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    for result in (
        await gql('mutation { uploadMedia(file: "") { id } }', **auth),
        await gql(UPLOAD, {"file": "a.png"}, **auth),
        await gql(UPLOAD, {"file": {"filename": "a.png"}}, **auth),
    ):
        error = result["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", result
        assert error["extensions"]["fields"][0]["field"] == "file"
    assert await MediaAsset.all().count() == 0


async def test_direct_upload_that_lies_is_removed(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any
) -> None:
    """An HTML file sent where a PNG was announced: completing the upload refuses it
    and deletes both the object and the pending asset."""
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    html = b"<!doctype html><script>alert(1)</script>"
    ticket = (
        await http.post(
            "/graphql",
            json={
                "query": TICKET,
                "variables": {
                    "input": {
                        "filename": "x.png",
                        "contentType": "image/png",
                        "byteSize": len(html),
                    }
                },
            },
            headers=auth,
        )
    ).json()
    ticket = ticket["data"]["createMediaUpload"]
    if isinstance(storage, S3Storage):
        async with httpx.AsyncClient() as network:
            sent = await network.post(
                ticket["url"], data=ticket["fields"], files={"file": ("x.png", html, "image/png")}
            )
    else:
        sent = await http.post(
            ticket["url"], data=ticket["fields"], files={"file": ("x.png", html, "image/png")}
        )
    assert sent.status_code in (200, 204)
    done = (
        await http.post(
            "/graphql",
            json={"query": COMPLETE, "variables": {"id": ticket["asset"]["id"]}},
            headers=auth,
        )
    ).json()
    assert done["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert await MediaAsset.all().count() == 0
    await assert_storage_empty(storage)


async def test_completing_before_the_upload_arrives(
    http: httpx.AsyncClient, passwords: Passwords
) -> None:
    """completeMediaUpload before the file is there is BAD_USER_INPUT and keeps the ticket."""
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    ticket = (
        await http.post(
            "/graphql",
            json={
                "query": TICKET,
                "variables": {
                    "input": {"filename": "x.png", "contentType": "image/png", "byteSize": 100}
                },
            },
            headers=auth,
        )
    ).json()
    asset_id = ticket["data"]["createMediaUpload"]["asset"]["id"]
    early = (
        await http.post(
            "/graphql", json={"query": COMPLETE, "variables": {"id": asset_id}}, headers=auth
        )
    ).json()
    assert early["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await MediaAsset.filter(state=AssetState.PENDING).count() == 1


async def test_local_files_are_served_safely(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any
) -> None:
    """/media/{key} sends the stored type, nosniff and a year of caching; unknown keys 404."""
    if isinstance(storage, S3Storage):
        pytest.skip("served by the bucket, not the app")
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    asset = (await multipart(http, auth, png(), "a.png", "image/png")).json()["data"]["uploadMedia"]
    served = await http.get(asset["url"])
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert (await http.get("/media/2026/11/26/AAAAAAAAAAAAAAAAAAAAAA.png")).status_code == 404
    assert (await http.get("/media/../../etc/passwd")).status_code == 404
