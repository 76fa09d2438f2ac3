"""Graceful shutdown of the background work: the round under way finishes, no new
round starts, and the app's shutdown waits for it."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager

import cms.app
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.delivery.bus import LocalBus
from cms.delivery.epoch import LocalEpoch
from cms.delivery.worker import run_worker

from conftest import settings_for


@pytest.mark.usefixtures("app")
async def test_a_stop_lets_the_round_under_way_finish(clock: FixedClock) -> None:
    in_round, release = anyio.Event(), anyio.Event()
    rounds = 0
    finished = anyio.Event()

    async def deliver() -> int:
        nonlocal rounds
        rounds += 1
        in_round.set()
        await release.wait()  # a webhook delivery under way
        return 1

    stopping = anyio.Event()

    async def worker() -> None:
        await run_worker(
            clock=clock, bus=LocalBus(), epoch=LocalEpoch(), deliver=deliver, stopping=stopping
        )
        finished.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker)
        await in_round.wait()
        stopping.set()
        await anyio.wait_all_tasks_blocked()
        assert not finished.is_set()  # not cut off mid-delivery
        release.set()
        with anyio.fail_after(5):
            await finished.wait()
    assert rounds == 1  # and no new round after the stop


@pytest.mark.usefixtures("app")
async def test_a_stop_between_rounds_ends_the_wait_at_once(clock: FixedClock) -> None:
    """The worker waits `poll` seconds between rounds; a stop does not wait them out."""
    stopping, delivered, finished = anyio.Event(), anyio.Event(), anyio.Event()
    rounds = 0

    async def deliver() -> int:
        nonlocal rounds
        rounds += 1
        delivered.set()
        return 0

    async def worker() -> None:
        await run_worker(
            clock=clock,
            bus=LocalBus(),
            epoch=LocalEpoch(),
            deliver=deliver,
            stopping=stopping,
            poll=3600,
        )
        finished.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker)
        await delivered.wait()
        stopping.set()
        with anyio.fail_after(5):  # far below the hour it would otherwise wait
            await finished.wait()
    assert rounds == 1


async def test_app_shutdown_waits_for_the_worker(
    db: str, clock: FixedClock, passwords: Passwords, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lifespan's exit asks the worker to stop and waits for its round."""
    in_round, release = anyio.Event(), anyio.Event()
    events: list[str] = []

    async def slow_deliver(**kwargs: Any) -> int:
        in_round.set()
        await release.wait()
        events.append("round finished")
        return 0

    monkeypatch.setattr(cms.app, "deliver_due", slow_deliver)
    app = create_app(settings_for(db), clock=clock, passwords=passwords, background=True)

    async def shut_down() -> None:
        await in_round.wait()
        await anyio.wait_all_tasks_blocked()
        events.append("releasing")
        release.set()

    async with anyio.create_task_group() as tasks:
        async with LifespanManager(app, shutdown_timeout=15) as manager:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://t"
            ) as client:
                assert (await client.get("/healthz")).status_code == 200
            await in_round.wait()
            tasks.start_soon(shut_down)
        events.append("shut down")
    assert events == ["releasing", "round finished", "shut down"]
