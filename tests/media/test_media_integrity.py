"""No orphans and no dangling rows, size limits, concurrency, metadata and deletion."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from strawberry.relay import to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.assets.models import MediaAsset, StorageGarbage
from cms.clock import FixedClock
from cms.settings import Settings
from media.local import LocalStorage
from media.s3 import S3Storage

from conftest import NOW, SECRET, make_bucket
from factories import make_article, staff

UPLOAD = (
    "mutation($file: Upload!) { uploadMedia(file: $file) { id key checksum renditions { url } } }"
)


def image(seed: int, width: int = 700) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, 400), (seed * 7 % 256, seed * 13 % 256, 90)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
async def http(
    settings: Settings, clock: FixedClock, passwords: Passwords, storage: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock, passwords=passwords, storage=storage, background=False)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client


async def upload(
    http: httpx.AsyncClient, auth: dict[str, str], content: bytes, name: str = "a.jpg"
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (name, content, "image/jpeg")},
        headers={**auth, "X-CMS-CSRF": "1"},
    )
    return response.json()  # type: ignore[no-any-return]


def stored_keys(storage: Any) -> set[str]:
    if isinstance(storage, S3Storage):
        listed = storage.client.list_objects_v2(Bucket=storage.bucket)
        return {o["Key"] for o in listed.get("Contents", [])}
    root: Path = storage.root
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


async def test_database_failure_after_store_leaves_no_object(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the row cannot be written, the stored original and renditions are removed."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)

    async def failing_create(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(MediaAsset, "create", failing_create)
    body = await upload(http, auth, image(1))
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert stored_keys(storage) == set()


async def test_storage_failure_leaves_no_row(
    settings: Settings,
    clock: FixedClock,
    passwords: Passwords,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A storage that refuses writes (a missing bucket; a media root that is a file)
    fails the upload cleanly and writes no row."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    broken: list[Any] = [LocalStorage(blocker, secret_key=SECRET)]
    endpoint = request.getfixturevalue("moto_server")
    broken.append(
        S3Storage(bucket="no-such-bucket-here", region="us-east-1", endpoint_url=endpoint)
    )
    for storage in broken:
        app = create_app(
            settings, clock=clock, passwords=passwords, storage=storage, background=False
        )
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
                body = await upload(http, auth, image(2))
                assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
                assert "nothing was saved" in body["errors"][0]["message"]
                assert await MediaAsset.all().count() == 0
                ready = await http.get("/readyz")
                assert ready.status_code == 503 and ready.json()["storage"] == "down"


async def test_twenty_concurrent_uploads(
    settings: Settings, clock: FixedClock, passwords: Passwords, moto_server: str
) -> None:
    """Twenty images uploaded at once to S3 (moto_server) give twenty complete,
    distinct assets, each readable."""
    storage = S3Storage(
        bucket=make_bucket(moto_server), region="us-east-1", endpoint_url=moto_server
    )
    app = create_app(settings, clock=clock, passwords=passwords, storage=storage, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
            bodies = await asyncio.gather(*(upload(http, auth, image(i)) for i in range(20)))
            assert await MediaAsset.all().count() == 20
    assets = [b["data"]["uploadMedia"] for b in bodies]
    assert len({a["key"] for a in assets}) == 20
    assert len({a["checksum"] for a in assets}) == 20
    assert all(len(a["renditions"]) == 2 for a in assets)  # 700 wide: 320 and 640
    assert len(stored_keys(storage)) == 20 * 3


async def test_size_limits(
    db: str, clock: FixedClock, passwords: Passwords, tmp_path: Path
) -> None:
    """Over the configured limit: PAYLOAD_TOO_LARGE from the upload check, and a 413
    before the body is read when the request itself is too long."""
    from conftest import settings_for

    small = settings_for(db, max_upload_bytes=5_000)
    storage = LocalStorage(tmp_path / "small", secret_key=SECRET)
    app = create_app(small, clock=clock, passwords=passwords, storage=storage, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
            body = await upload(http, auth, image(3, width=1200))
            assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
            huge = b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024)
            response = await http.post(
                "/graphql",
                data={
                    "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files={"0": ("big.jpg", huge, "image/jpeg")},
                headers={**auth, "X-CMS-CSRF": "1"},
            )
            assert response.status_code == 413
            assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_keys(storage) == set()


async def test_delete_is_refused_while_in_use(
    http: httpx.AsyncClient, passwords: Passwords, storage: Any
) -> None:
    """An asset used as a cover cannot be deleted until detached; then its original
    and renditions are removed with it."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    asset = (await upload(http, auth, image(4)))["data"]["uploadMedia"]
    row = await MediaAsset.get(key=asset["key"])
    article = await make_article(cover_image=row, published_at=NOW)
    delete = "mutation($id: ID!) { deleteMediaAsset(id: $id) }"
    refused = (
        await http.post(
            "/graphql", json={"query": delete, "variables": {"id": asset["id"]}}, headers=auth
        )
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert len(stored_keys(storage)) == 3
    article.cover_image = None  # type: ignore[assignment]
    await article.save()
    done = (
        await http.post(
            "/graphql", json={"query": delete, "variables": {"id": asset["id"]}}, headers=auth
        )
    ).json()
    assert done["data"] == {"deleteMediaAsset": True}
    assert stored_keys(storage) == set()
    assert await MediaAsset.all().count() == 0
    assert await StorageGarbage.all().count() == 0  # deleted at once: nothing left to sweep


async def test_metadata_and_focal_point(http: httpx.AsyncClient, passwords: Passwords) -> None:
    """Alt text, caption, credit and focal point are editable; a focal point outside
    0..1 is BAD_USER_INPUT."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    asset = (await upload(http, auth, image(5)))["data"]["uploadMedia"]
    update = """mutation($id: ID!, $input: MediaInput!) { updateMediaAsset(id: $id, input: $input) {
      altText caption credit focalPoint { x y } } }"""
    ok = (
        await http.post(
            "/graphql",
            json={
                "query": update,
                "variables": {
                    "id": asset["id"],
                    "input": {
                        "altText": "Rescuers at dawn",
                        "caption": "Kharkiv",
                        "credit": "Photo: Kyiv Ledger",
                        "focalPoint": {"x": 0.25, "y": 0.75},
                    },
                },
            },
            headers=auth,
        )
    ).json()
    assert ok["data"]["updateMediaAsset"] == {
        "altText": "Rescuers at dawn",
        "caption": "Kharkiv",
        "credit": "Photo: Kyiv Ledger",
        "focalPoint": {"x": 0.25, "y": 0.75},
    }
    bad = (
        await http.post(
            "/graphql",
            json={
                "query": update,
                "variables": {"id": asset["id"], "input": {"focalPoint": {"x": 1.5, "y": -0.1}}},
            },
            headers=auth,
        )
    ).json()
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"]["fields"][0]["field"] == "focalPoint"
    listing = (
        await http.post(
            "/graphql", json={"query": "{ mediaAssets { edges { node { id } } } }"}, headers=auth
        )
    ).json()
    assert [e["node"]["id"] for e in listing["data"]["mediaAssets"]["edges"]] == [asset["id"]]
    assert to_base64("MediaAsset", 1) == asset["id"]
