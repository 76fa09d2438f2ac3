"""The `cms` command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import SECRET

ROOT = Path(__file__).resolve().parent.parent


def cms(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    environ.update(env)
    return subprocess.run(  # noqa: S603 -- our own interpreter and arguments
        [sys.executable, "-m", "cms.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_export_schema_prints_the_checked_in_sdl(tmp_path: Path) -> None:
    """`cms export-schema` prints exactly schema/schema.graphql."""
    result = cms("export-schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schema" / "schema.graphql").read_text()


def test_migrate_then_seed_demo_once(tmp_path: Path) -> None:
    """On a fresh directory: migrate creates ./var, seed-demo loads once and then declines."""
    env = {"CMS_SECRET_KEY": SECRET}
    migrate = cms("migrate", cwd=tmp_path, **env)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "var" / "cms.sqlite3").is_file()
    first = cms("seed-demo", cwd=tmp_path, **env)
    assert first.returncode == 0, first.stderr
    assert "demo newsroom loaded" in first.stdout
    again = cms("seed-demo", cwd=tmp_path, **env)
    assert again.returncode == 0, again.stderr
    assert "not loaded" in again.stdout


def test_bad_configuration_is_one_line_and_nonzero(tmp_path: Path) -> None:
    """A bad variable stops the command with a one-line error naming it."""
    result = cms("migrate", cwd=tmp_path, CMS_DATABASE_URL="mysql://nope")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("cms: error: CMS_DATABASE_URL:")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    """Unknown commands and bad ports exit non-zero with a one-line reason."""
    for args in (["frobnicate"], ["serve", "--port", "eighty"], []):
        result = cms(*args, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("cms: error:")
        assert result.stderr.strip().count("\n") == 0
    result = cms("serve", "--port", "70000", cwd=tmp_path, CMS_SECRET_KEY=SECRET)
    assert result.returncode == 2
    assert "--port" in result.stderr
    result = cms("serve", "--keep-alive", "0", cwd=tmp_path, CMS_SECRET_KEY=SECRET)
    assert result.returncode == 2
    assert "--keep-alive" in result.stderr


def cms_input(*args: str, stdin: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    environ.update(env)
    return subprocess.run(  # noqa: S603 -- our own interpreter and arguments
        [sys.executable, "-m", "cms.cli", *args],
        cwd=cwd,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_createuser_reads_the_password_from_stdin(tmp_path: Path) -> None:
    """createuser makes an account from a piped password; the password is not echoed."""
    args = ("createuser", "--email", "Chief@Example.org", "--name", "Chief", "--role", "admin")
    result = cms_input(*args, stdin="a long enough password\n", cwd=tmp_path, CMS_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    assert "created ADMIN chief@example.org" in result.stdout
    assert "a long enough password" not in result.stdout + result.stderr


def test_createuser_refuses_weak_passwords_and_taken_emails(tmp_path: Path) -> None:
    """A short password, a taken email or an unknown role is a one-line error."""
    base = ("createuser", "--email", "x@example.org", "--name", "X", "--role")
    env = {"CMS_SECRET_KEY": SECRET}
    weak = cms_input(*base, "EDITOR", stdin="short\n", cwd=tmp_path, **env)
    assert weak.returncode == 2
    assert weak.stderr == "cms: error: password: must be at least 12 characters long\n"
    assert (
        cms_input(*base, "EDITOR", stdin="long enough pass\n", cwd=tmp_path, **env).returncode == 0
    )
    taken = cms_input(*base, "EDITOR", stdin="long enough pass\n", cwd=tmp_path, **env)
    assert taken.returncode == 2
    assert taken.stderr.startswith("cms: error:") and "exists" in taken.stderr
    assert taken.stderr.count("\n") == 1
    role = cms_input(*base, "KING", stdin="long enough pass\n", cwd=tmp_path, **env)
    assert role.returncode == 2 and "--role" in role.stderr
    empty = cms_input(*base, "EDITOR", stdin="", cwd=tmp_path, **env)
    assert empty.returncode == 2 and "standard input" in empty.stderr
