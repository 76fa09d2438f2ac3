"""The background work every instance runs: announcing scheduled publications,
dispatching the outbox, delivering webhooks. Instances coordinate through the
database, so running one or ten changes nothing but speed."""

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
) -> int:
    """One round of all the work; returns how many things it did."""
    done = await announce_due(clock.now())
    while dispatched := await dispatch_once(bus=bus, epoch=epoch, now=clock.now()):
        done += dispatched
    if deliver is not None:
        done += await deliver()
    return done


async def run_worker(
    *,
    clock: Clock,
    bus: EventBus,
    epoch: Epoch,
    deliver: Callable[[], Awaitable[int]] | None = None,
    wake: anyio.Event | None = None,
    poll: float = POLL_SECONDS,
) -> None:
    """Rounds of work until cancelled; a failed round is logged and retried later."""
    while True:
        try:
            await work_once(clock=clock, bus=bus, epoch=epoch, deliver=deliver)
        except Exception:  # the loop must outlive a database hiccup; the log has it
            log.exception("background work failed; retrying")
        with anyio.move_on_after(poll):
            if wake is not None:
                await wake.wait()
            else:
                await anyio.sleep(poll)
