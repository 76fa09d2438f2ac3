"""What the Docker image installs (`pip install .` in its build stage) is complete,
and the Dockerfile keeps its promises. No Docker engine runs here, so the image
itself is not built by the suite: the wheel it would install is, and the final
stage is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_migrations_and_the_schema(tmp_path: Path) -> None:
    subprocess.run(  # noqa: S603 -- our own interpreter
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        str(p.relative_to(ROOT))
        for package in ("cms", "schema", "media")
        for p in (ROOT / package).rglob("*.py")
    }
    assert sources <= names, sorted(sources - names)
    assert "schema/schema.graphql" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_the_final_image_stage() -> None:
    """Slim base, no build tools, a non-root user, a health check, and `cms serve`
    on $PORT as the entry point."""
    stages = (ROOT / "Dockerfile").read_text().split("\nFROM ")
    assert len(stages) >= 2  # multi-stage
    final = stages[-1]
    assert final.startswith("python:3.11-slim")
    assert "build-essential" not in final and "apt-get install" not in final
    assert "\nUSER cms" in final
    assert "\nHEALTHCHECK " in final and "/healthz" in final
    entrypoint = next(line for line in final.splitlines() if line.startswith("ENTRYPOINT"))
    assert "cms serve" in entrypoint and "${PORT}" in entrypoint
    assert "COPY --from=build /opt/venv /opt/venv" in final


def _entrypoint() -> list[str]:
    line = next(
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("ENTRYPOINT ")
    )
    argv: list[str] = json.loads(line.removeprefix("ENTRYPOINT "))
    return argv


def test_the_entrypoint_serves_on_port_or_runs_a_command(tmp_path: Path) -> None:
    """Run as Docker runs an exec-form ENTRYPOINT (the image's arguments appended),
    with a stand-in `cms` that prints what it was asked: no arguments serve on
    $PORT, arguments (the release step `cms migrate`) run instead."""
    fake = tmp_path / "cms"
    fake.write_text('#!/bin/sh\necho "cms $*"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "PORT": "9123"}

    def run(*args: str, **extra: str) -> str:
        result = subprocess.run(  # noqa: S603 -- the Dockerfile's own command
            [*_entrypoint(), *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return result.stdout.strip()

    assert run() == "cms serve --host 0.0.0.0 --port 9123 --workers 1"
    assert run(WEB_CONCURRENCY="4").endswith("--workers 4")
    assert run("cms", "migrate") == "cms migrate"
    assert os.path.basename(_entrypoint()[0]) == "sh"
