"""The soak harness (`python -m bench soak`) end to end, in miniature: two instances
on PostgreSQL and Redis, a bounded number of reads and writes, no errors and no
lost writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import POSTGRES_URL, REDIS_URL

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    POSTGRES_URL is None or REDIS_URL is None,
    reason="needs CMS_TEST_POSTGRES_URL and CMS_TEST_REDIS_URL",
)
def test_a_short_soak_loses_nothing(tmp_path: Path) -> None:
    """Sixty reads, twelve write operations and a subscriber on each instance: every
    request succeeds, every acknowledged write reads back, every event is heard."""
    assert POSTGRES_URL is not None and REDIS_URL is not None
    output = tmp_path / "soak.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    # counts, not a duration: unpaced, the run ends when its operations are done
    done = subprocess.run(  # noqa: S603 -- our own interpreter and harness
        [
            sys.executable,
            "-m",
            "bench",
            "soak",
            f"--database={POSTGRES_URL}",
            f"--redis={REDIS_URL}",
            "--reads=60",
            "--writes=12",
            "--read-rate=0",
            "--write-rate=0",
            "--readers=4",
            "--writers=2",
            "--subscribers=1",
            "--edited-articles=4",
            "--feed-items=200",
            "--articles=20",
            "--authors=5",
            "--tags=5",
            "--videos=5",
            "--drain=10",
            f"--output={output}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert output.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(output.read_text())
    assert result["errors"] == 0, result["error_samples"]
    assert result["lost_writes"] == 0, result["readback"]["lost_samples"]
    assert result["readback"]["published_not_public"] == 0
    assert result["readback"]["objects_unchecked"] == 0
    assert result["events"]["missed"] == 0
    assert result["acknowledged_writes"] >= 12  # a create+publish is two
    assert (
        sum(k["requests"] for k in result["kinds"] if "POST" in k["kind"] or "GET" in k["kind"])
        == 60
    )
    assert done.returncode == 0, done.stderr[-3000:]
