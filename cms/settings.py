"""Settings, read once from the environment (and `.env`) into a frozen object.

A bad value stops start-up with a one-line error that names the variable; secret
values never appear in that message or in `repr()`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values

GENERATED_SECRET_PATH = Path("var/secret")
DEFAULT_DATABASE_URL = "sqlite://./var/cms.sqlite3"
DEFAULT_MEDIA_ROOT = Path("./var/media")
DEFAULT_S3_REGION = "us-east-1"
DEFAULT_MAX_UPLOAD_BYTES = 26_214_400
DEFAULT_OPERATION_TIMEOUT = 10.0


class SettingsError(Exception):
    """A configuration value is invalid; the message is one line naming the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process is configured with. Build it with `load_settings()`."""

    env: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    storage: Literal["local", "s3"] = "local"
    media_root: Path = DEFAULT_MEDIA_ROOT
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = DEFAULT_S3_REGION
    s3_private: bool = False
    public_media_url: str | None = None
    redis_url: str | None = None
    secret_key: str = field(default="", repr=False)
    secret_key_generated: bool = False
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    webhook_allow_private: bool = False
    response_cache: bool = True
    rate_limit_public: int = 600  # GraphQL requests a minute per client address (0: off)
    rate_limit_token: int = 3000  # per session or API token
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-For is believed
    cors_origins: tuple[str, ...] = ()  # browser origins allowed cross-site (and on websockets)
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT  # seconds a GraphQL operation may run
    max_subscribers: int = 10_000  # live subscriptions one instance takes
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: str | os.PathLike[str] | None = ".env",
    secret_path: Path = GENERATED_SECRET_PATH,
) -> Settings:
    """Read the settings: the process environment wins over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value is not None and value.strip() != "" else None

    env = get("CMS_ENV") or "development"
    if env not in ("development", "production", "test"):
        raise SettingsError(f"CMS_ENV: must be development, production or test, not {env!r}")

    database_url = get("CMS_DATABASE_URL") or DEFAULT_DATABASE_URL
    _check_database_url(database_url)

    storage = get("CMS_STORAGE") or "local"
    if storage not in ("local", "s3"):
        raise SettingsError(f"CMS_STORAGE: must be local or s3, not {storage!r}")
    s3_bucket = get("CMS_S3_BUCKET")
    if storage == "s3" and not s3_bucket:
        raise SettingsError("CMS_S3_BUCKET: required when CMS_STORAGE=s3")
    s3_endpoint_url = get("CMS_S3_ENDPOINT_URL")
    if s3_endpoint_url is not None:
        _check_http_url("CMS_S3_ENDPOINT_URL", s3_endpoint_url)
    public_media_url = get("CMS_PUBLIC_MEDIA_URL")
    if public_media_url is not None:
        _check_http_url("CMS_PUBLIC_MEDIA_URL", public_media_url)
    redis_url = get("CMS_REDIS_URL")
    if redis_url is not None and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("CMS_REDIS_URL: must be a redis://, rediss:// or unix:// URL")

    max_upload = get("CMS_MAX_UPLOAD_BYTES")
    max_upload_bytes = DEFAULT_MAX_UPLOAD_BYTES
    if max_upload is not None:
        try:
            max_upload_bytes = int(max_upload)
        except ValueError:
            raise SettingsError("CMS_MAX_UPLOAD_BYTES: must be a whole number of bytes") from None
        if max_upload_bytes < 1:
            raise SettingsError("CMS_MAX_UPLOAD_BYTES: must be at least 1")

    secret_key = get("CMS_SECRET_KEY")
    generated = secret_key is None
    if secret_key is None:
        if env == "production":
            raise SettingsError(
                "CMS_SECRET_KEY: must be set in production (a generated key is refused)"
            )
        secret_key = _generated_secret(secret_path)
    elif len(secret_key) < 32:
        raise SettingsError("CMS_SECRET_KEY: must be at least 32 characters long")

    log_format = get("CMS_LOG_FORMAT") or ("json" if env == "production" else "text")
    if log_format not in ("json", "text"):
        raise SettingsError(f"CMS_LOG_FORMAT: must be json or text, not {log_format!r}")
    log_level = (get("CMS_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("CMS_LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR")

    return Settings(
        env=env,  # type: ignore[arg-type]
        database_url=database_url,
        storage=storage,  # type: ignore[arg-type]
        media_root=Path(get("CMS_MEDIA_ROOT") or DEFAULT_MEDIA_ROOT),
        s3_bucket=s3_bucket,
        s3_endpoint_url=s3_endpoint_url,
        s3_region=get("CMS_S3_REGION") or DEFAULT_S3_REGION,
        s3_private=_flag("CMS_S3_PRIVATE", get("CMS_S3_PRIVATE")),
        public_media_url=public_media_url,
        redis_url=redis_url,
        secret_key=secret_key,
        secret_key_generated=generated,
        max_upload_bytes=max_upload_bytes,
        webhook_allow_private=_flag("CMS_WEBHOOK_ALLOW_PRIVATE", get("CMS_WEBHOOK_ALLOW_PRIVATE")),
        cors_origins=_origins(get("CMS_CORS_ORIGINS")),
        rate_limit_public=_count("CMS_RATE_LIMIT_PUBLIC", get("CMS_RATE_LIMIT_PUBLIC"), 600),
        rate_limit_token=_count("CMS_RATE_LIMIT_TOKEN", get("CMS_RATE_LIMIT_TOKEN"), 3000),
        trusted_proxies=_networks(get("CMS_TRUSTED_PROXIES")),
        response_cache=get("CMS_RESPONSE_CACHE") is None
        or _flag("CMS_RESPONSE_CACHE", get("CMS_RESPONSE_CACHE")),
        operation_timeout=_seconds("CMS_OPERATION_TIMEOUT", get("CMS_OPERATION_TIMEOUT")),
        max_subscribers=_count("CMS_MAX_SUBSCRIBERS", get("CMS_MAX_SUBSCRIBERS"), 10_000),
        log_format=log_format,  # type: ignore[arg-type]
        log_level=log_level,
    )


def _origins(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of origins ("https://news.example"), each checked."""
    if value is None:
        return ()
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise SettingsError(
                f"CMS_CORS_ORIGINS: {origin!r} is not an origin like https://news.example"
            )
    return origins


def _count(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise SettingsError(f"{name}: must be a whole number (0 turns the limit off)")
    return int(value)


def _seconds(name: str, value: str | None) -> float:
    if value is None:
        return DEFAULT_OPERATION_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name}: must be a number of seconds, like 10 or 2.5") from None
    if not 0 < seconds <= 600:
        raise SettingsError(f"{name}: must be more than 0 and at most 600 seconds")
    return seconds


def _networks(value: str | None) -> tuple[str, ...]:
    import ipaddress

    if value is None:
        return ()
    networks = tuple(v.strip() for v in value.split(",") if v.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                f"CMS_TRUSTED_PROXIES: {network!r} is not an address or network"
            ) from None
    return networks


def _flag(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: must be 1 or 0 (true or false)")


def _check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise SettingsError(
            "CMS_DATABASE_URL: must be a sqlite:// or postgres:// URL"
            f" (scheme {scheme or 'missing'!r} is not supported)"
        )


def _check_http_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name}: must be an http:// or https:// URL")


def _generated_secret(path: Path) -> str:
    """The development secret, created once (atomically, mode 0600) and reused."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: the link either
    # wins atomically or finds another process's key, which is then used.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text().strip()
    if len(value) < 32:
        raise SettingsError(f"CMS_SECRET_KEY: the generated key in {path} is too short")
    return value
