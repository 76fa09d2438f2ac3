"""S3 goes away under a running app and comes back: /readyz says so, an upload
fails within seconds with SERVICE_UNAVAILABLE and leaves no row and no object, and
the same app instance uploads again once S3 is back.

The app's S3 driver talks to the session's moto_server through a `TCPProxy`; the
test lists the bucket over its own direct client, which the cut does not touch.
The database is SQLite: these faults are the storage's, whatever the database.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from proxy import TCPProxy, proxy_to

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.assets.models import MediaAsset, StorageGarbage
from cms.assets.service import sweep_storage
from cms.clock import FixedClock
from media.s3 import S3Storage

from conftest import NOW, SECRET, make_bucket, settings_for
from factories import staff

UPLOAD = "mutation($file: Upload!) { uploadMedia(file: $file) { id key } }"
# boto3 retries a refused connection twice with backoff (up to 1 s, then 2 s);
# anything near this bound is a hang
FAST = 10.0


@pytest.fixture
async def s3_proxy(moto_server: str) -> AsyncIterator[TCPProxy]:
    async with proxy_to(moto_server, 80) as proxy:
        yield proxy


@pytest.fixture
def bucket(moto_server: str) -> str:
    return make_bucket(moto_server)


@pytest.fixture
def stored(moto_server: str, bucket: str) -> Any:
    """The keys really in the bucket, listed directly, not through the proxy."""
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")

    def keys() -> set[str]:
        listed = client.list_objects_v2(Bucket=bucket)
        return {o["Key"] for o in listed.get("Contents", [])}

    return keys


@pytest.fixture
def storage(s3_proxy: TCPProxy, bucket: str) -> S3Storage:
    return S3Storage(
        bucket=bucket, region="us-east-1", endpoint_url=f"http://127.0.0.1:{s3_proxy.port}"
    )


@pytest.fixture
async def http(
    sqlite_template: Path,
    tmp_path: Path,
    storage: S3Storage,
    clock: FixedClock,
    passwords: Passwords,
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on SQLite, its media in S3 behind the proxy."""
    path = tmp_path / "cms.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(
        settings_for(f"sqlite://{path}"),
        clock=clock,
        passwords=passwords,
        storage=storage,
        background=False,
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (700, 400), (seed * 40 % 256, 90, 120)).save(out, format="JPEG")
    return out.getvalue()  # 700 wide: the original and renditions 320 and 640


async def upload(http: httpx.AsyncClient, auth: dict[str, str], content: bytes) -> dict[str, Any]:
    async with asyncio.timeout(FAST):
        response = await http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("photo.jpg", content, "image/jpeg")},
            headers={**auth, "X-CMS-CSRF": "1"},
        )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def unavailable(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
    message: str = error["message"]
    for leak in ("Traceback", "botocore", "Errno", "127.0.0.1", "http://"):
        assert leak not in message
    return message


async def test_storage_outage_is_reported_and_recovered_from(
    http: httpx.AsyncClient, s3_proxy: TCPProxy, stored: Any, passwords: Passwords
) -> None:
    """With S3 gone, /readyz is 503 (storage down, database up) at once, and an upload
    fails within seconds with SERVICE_UNAVAILABLE, leaving no row and no object; when
    S3 is back the same app is ready and uploads again."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    first = await upload(http, auth, jpeg(1))  # the client's connections are pooled now
    assert "errors" not in first, first
    before = stored()
    assert len(before) == 3

    s3_proxy.cut()
    started = time.monotonic()
    async with asyncio.timeout(FAST):
        ready = await http.get("/readyz")
    assert time.monotonic() - started < 2.5  # one quick attempt, no retries
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "up", "storage": "down"}
    failed = await upload(http, auth, jpeg(2))
    assert "nothing was saved" in unavailable(failed)
    assert failed["data"] is None
    assert await MediaAsset.all().count() == 1
    assert stored() == before

    await s3_proxy.restore()
    async with asyncio.timeout(FAST):
        assert (await http.get("/readyz")).status_code == 200
    again = await upload(http, auth, jpeg(3))
    assert "errors" not in again, again
    assert await MediaAsset.all().count() == 2
    assert len(stored() - before) == 3
    assert again["data"]["uploadMedia"]["key"] in stored()


async def test_storage_lost_between_original_and_renditions(
    http: httpx.AsyncClient,
    s3_proxy: TCPProxy,
    storage: S3Storage,
    stored: Any,
    passwords: Passwords,
) -> None:
    """S3 goes away after the original is stored and before its renditions are: the
    upload fails with SERVICE_UNAVAILABLE and no row is written. The original cannot
    be removed while S3 is gone: it is recorded as garbage, and swept when S3 is back."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    loop = asyncio.get_running_loop()
    puts: list[str] = []

    async def cut() -> None:
        s3_proxy.cut()

    def on_put(params: dict[str, Any], **_: Any) -> None:
        # runs in boto3's worker thread; the proxy lives on the event loop, and this
        # thread waits until the cut is done there
        puts.append(params["Key"])
        if len(puts) == 2:
            asyncio.run_coroutine_threadsafe(cut(), loop).result(timeout=FAST)

    storage.client.meta.events.register("before-parameter-build.s3.PutObject", on_put)
    failed = await upload(http, auth, jpeg(4))
    unavailable(failed)
    assert len(puts) == 2  # the original went through, the first rendition did not
    assert await MediaAsset.all().count() == 0

    # the original could not be removed: it is recorded, and swept once S3 is back
    assert await StorageGarbage.filter(key=puts[0]).count() == 1
    assert stored() == {puts[0]}
    await s3_proxy.restore()
    async with asyncio.timeout(FAST):
        assert await sweep_storage(storage=storage, now=NOW) == 1
    assert stored() == set()
    assert await StorageGarbage.all().count() == 0


async def test_deleting_an_asset_while_storage_is_gone(
    http: httpx.AsyncClient,
    s3_proxy: TCPProxy,
    storage: S3Storage,
    stored: Any,
    passwords: Passwords,
) -> None:
    """The asset is deleted at once (its row, with the promise to delete its objects);
    the objects go when S3 is back, the sweep backing off while it is not."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    asset = (await upload(http, auth, jpeg(5)))["data"]["uploadMedia"]
    keys = stored()
    assert len(keys) == 3
    s3_proxy.cut()
    async with asyncio.timeout(FAST):
        done = await http.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { deleteMediaAsset(id: $id) }",
                "variables": {"id": asset["id"]},
            },
            headers=auth,
        )
    assert done.json() == {"data": {"deleteMediaAsset": True}}
    assert await MediaAsset.all().count() == 0
    assert set(await StorageGarbage.all().values_list("key", flat=True)) == keys
    assert stored() == keys

    async with asyncio.timeout(FAST * 3):
        assert await sweep_storage(storage=storage, now=NOW) == 0  # still gone
    garbage = await StorageGarbage.all()
    assert {(g.attempts, g.next_attempt_at) for g in garbage} == {(1, NOW + timedelta(minutes=1))}

    await s3_proxy.restore()
    assert await sweep_storage(storage=storage, now=NOW) == 0  # not due yet
    later = NOW + timedelta(minutes=1)
    assert await sweep_storage(storage=storage, now=later) == 3
    assert stored() == set()
    assert await StorageGarbage.all().count() == 0
