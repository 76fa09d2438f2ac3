"""Settings come from the environment and `.env`, once, and bad values stop
start-up with one line naming the variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cms.settings import SettingsError, load_settings

KEY = "k" * 40


def test_defaults_work_on_a_laptop(tmp_path: Path) -> None:
    """With nothing set, every value has a working default and a secret is generated."""
    settings = load_settings({}, env_file=None, secret_path=tmp_path / "secret")
    assert settings.database_url == "sqlite://./var/cms.sqlite3"
    assert settings.storage == "local"
    assert settings.max_upload_bytes == 26_214_400
    assert settings.secret_key_generated
    assert len(settings.secret_key) >= 32


def test_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    """The generated key is written once with mode 0600 and read back on the next start."""
    path = tmp_path / "var" / "secret"
    first = load_settings({}, env_file=None, secret_path=path)
    second = load_settings({}, env_file=None, secret_path=path)
    assert first.secret_key == second.secret_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    """`.env` supplies values; the process environment overrides them."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"CMS_SECRET_KEY={KEY}\nCMS_MAX_UPLOAD_BYTES=1000\nCMS_STORAGE=local\n")
    settings = load_settings({"CMS_MAX_UPLOAD_BYTES": "2000"}, env_file=env_file)
    assert settings.secret_key == KEY
    assert settings.max_upload_bytes == 2000
    assert not settings.secret_key_generated


def test_settings_are_frozen() -> None:
    """Settings cannot change after start-up."""
    settings = load_settings({"CMS_SECRET_KEY": KEY}, env_file=None)
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]


def test_secret_never_in_repr() -> None:
    """The secret key does not leak through logging the settings object."""
    assert KEY not in repr(load_settings({"CMS_SECRET_KEY": KEY}, env_file=None))


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"CMS_ENV": "staging"}, "CMS_ENV"),
        ({"CMS_DATABASE_URL": "mysql://x/y"}, "CMS_DATABASE_URL"),
        ({"CMS_STORAGE": "ftp"}, "CMS_STORAGE"),
        ({"CMS_STORAGE": "s3"}, "CMS_S3_BUCKET"),
        ({"CMS_S3_ENDPOINT_URL": "localhost:9000"}, "CMS_S3_ENDPOINT_URL"),
        ({"CMS_PUBLIC_MEDIA_URL": "javascript:alert(1)"}, "CMS_PUBLIC_MEDIA_URL"),
        ({"CMS_REDIS_URL": "http://localhost"}, "CMS_REDIS_URL"),
        ({"CMS_MAX_UPLOAD_BYTES": "lots"}, "CMS_MAX_UPLOAD_BYTES"),
        ({"CMS_MAX_UPLOAD_BYTES": "0"}, "CMS_MAX_UPLOAD_BYTES"),
        ({"CMS_SECRET_KEY": "short"}, "CMS_SECRET_KEY"),
        ({"CMS_ENV": "production"}, "CMS_SECRET_KEY"),
        ({"CMS_CORS_ORIGINS": "news.example"}, "CMS_CORS_ORIGINS"),
        ({"CMS_RATE_LIMIT_PUBLIC": "lots"}, "CMS_RATE_LIMIT_PUBLIC"),
        ({"CMS_TRUSTED_PROXIES": "the load balancer"}, "CMS_TRUSTED_PROXIES"),
        ({"CMS_WEBHOOK_ALLOW_PRIVATE": "maybe"}, "CMS_WEBHOOK_ALLOW_PRIVATE"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(
    environ: dict[str, str], variable: str, tmp_path: Path
) -> None:
    """Each invalid value is refused with a one-line message that starts with its name."""
    with pytest.raises(SettingsError) as caught:
        load_settings(environ, env_file=None, secret_path=tmp_path / "secret")
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_short_secret_is_not_echoed() -> None:
    """A refused secret is not repeated in the error."""
    with pytest.raises(SettingsError) as caught:
        load_settings({"CMS_SECRET_KEY": "hunter2-secret"}, env_file=None)
    assert "hunter2" not in str(caught.value)
