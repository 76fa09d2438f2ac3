"""The background work every instance runs: announcing scheduled publications,
dispatching the outbox, delivering webhooks, sweeping media storage. Instances
coordinate through the database, so running one or ten changes nothing but
speed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from cms.clock import Clock
from cms.delivery.bus import EventBus
from cms.delivery.dispatch import dispatch_once
from cms.delivery.epoch import Epoch
from cms.delivery.scheduler import announce_due

log = logging.getLogger("cms.worker")
POLL_SECONDS = 0.5


async def work_once(
    *,
    clock: Clock,
    bus: EventBus,
    epoch: Epoch,
    deliver: Callable[[], Awaitable[int]] | None = None,
    sweep: Callable[[], Awaitable[int]] | None = None,
    stopping: anyio.Event | None = None,
) -> int:
    """One round of all the work; returns how many things it did. Each step is
    its own transaction: when `stopping` is set, the round ends after the step
    under way (the rest waits for the next instance's round)."""

    def stop() -> bool:
        return stopping is not None and stopping.is_set()

    done = await announce_due(clock.now())
    while not stop() and (dispatched := await dispatch_once(bus=bus, epoch=epoch, now=clock.now())):
        done += dispatched
    if deliver is not None and not stop():
        done += await deliver()
    if sweep is not None and not stop():
        done += await sweep()
    return done


async def run_worker(
    *,
    clock: Clock,
    bus: EventBus,
    epoch: Epoch,
    deliver: Callable[[], Awaitable[int]] | None = None,
    sweep: Callable[[], Awaitable[int]] | None = None,
    wake: anyio.Event | None = None,
    poll: float = POLL_SECONDS,
    stopping: anyio.Event | None = None,
) -> None:
    """Rounds of work until `stopping` is set (the round under way finishes) or
    until cancelled; a failed round is logged and retried later."""
    stopping = stopping or anyio.Event()
    while not stopping.is_set():
        try:
            await work_once(
                clock=clock,
                bus=bus,
                epoch=epoch,
                deliver=deliver,
                sweep=sweep,
                stopping=stopping,
            )
        except Exception:  # the loop must outlive a database hiccup; the log has it
            log.exception("background work failed; retrying")
        with anyio.move_on_after(poll):
            async with anyio.create_task_group() as waiting:
                # the first of: a wake-up, the stop, the poll interval

                async def until(event: anyio.Event) -> None:
                    await event.wait()
                    waiting.cancel_scope.cancel()

                waiting.start_soon(until, stopping)
                if wake is not None:
                    waiting.start_soon(until, wake)
    log.info("background work stopped")
