"""Candidate changes to the app, measurable before anyone edits it.

`bench/README.md` suggests changes to `schema/` and `cms/`; this module applies
them by patching at server start, so their effect can be measured side by side
with the same harness, data and baseline:

    BENCH_CANDIDATES=epoch python -m bench --servers cached,plain \\
        --redis redis://127.0.0.1:6379/15 --app-factory bench.candidates:app_from_environment

- `epoch`: with Redis configured, every cache hit reads the content epoch with
  one Redis GET (`RedisEpoch.current`). This candidate reuses a read for
  `BENCH_EPOCH_TTL_MS` milliseconds (default 100), and a bump on this instance
  updates it at once; a change made on another instance is then seen up to that
  long later (the answers already say `max-age=10`). Without `--redis` the app
  uses its in-memory epoch and this candidate changes nothing.

Earlier candidates were adopted by the app and their patches removed: parse and
validation caches, bylines as id pairs and C datetime parsing (commit 7b7c39b),
and the hit path as an outermost middleware with prebuilt headers (40a1bd5).
Patching is for measurement only; once a change is adopted, its entry here
should go.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

ENV = "BENCH_CANDIDATES"
TTL_ENV = "BENCH_EPOCH_TTL_MS"
KNOWN = ("epoch",)


def _reused_epoch(base: Any, ttl: float) -> Any:
    """A subclass of the app's `RedisEpoch` whose reads are reused for `ttl` s."""

    class ReusedRedisEpoch(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._value = 0
            self._read_at = -math.inf

        async def current(self) -> int:
            now = time.monotonic()
            if now - self._read_at >= ttl:
                self._value = await super().current()
                self._read_at = now
            return self._value

        async def bump(self) -> int:
            self._value = await super().bump()
            self._read_at = time.monotonic()
            return self._value

    return ReusedRedisEpoch


def app_from_environment() -> Any:
    """`cms.app:app_from_environment` with the candidates named in `BENCH_CANDIDATES`."""
    import cms.app
    from cms.settings import load_settings

    chosen = {c.strip() for c in os.environ.get(ENV, "").split(",") if c.strip()}
    unknown = chosen - set(KNOWN)
    if unknown:
        raise RuntimeError(f"{ENV}: unknown candidate(s) {sorted(unknown)}; known: {KNOWN}")
    if "epoch" in chosen:
        ttl = float(os.environ.get(TTL_ENV, "100")) / 1000
        cms.app.RedisEpoch = _reused_epoch(cms.app.RedisEpoch, ttl)  # type: ignore[misc]
    return cms.app.create_app(load_settings())
