"""The `cms` command line. Every command exits non-zero with a one-line error on
bad input or configuration."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from cms.settings import Settings, SettingsError, load_settings

log = logging.getLogger("cms.cli")


class CommandError(Exception):
    """A command could not do what was asked; the message is one line."""


async def run_migrations(settings: Settings) -> None:
    """Apply pending migrations to the configured database."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    from cms.db import tortoise_config

    _ensure_sqlite_dir(settings.database_url)
    try:
        await migrate(config=tortoise_config(settings.database_url))
    finally:
        await Tortoise.close_connections()


def _ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (`./var` on a fresh clone)."""
    from pathlib import Path

    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


async def _seed_demo(settings: Settings) -> bool:
    from tortoise import Tortoise

    from cms.clock import SystemClock
    from cms.db import tortoise_config
    from cms.demo import seed_demo

    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await seed_demo(now=SystemClock().now())
    finally:
        await Tortoise.close_connections()


def read_password(stdin: TextIO = sys.stdin) -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("the passwords do not match")
        return first
    line = stdin.readline()
    if not line:
        raise CommandError("no password on standard input")
    return line.rstrip("\r\n")


async def _create_user(settings: Settings, email: str, name: str, role: str, password: str) -> str:
    from tortoise import Tortoise

    from cms.accounts.models import Role
    from cms.accounts.passwords import Passwords
    from cms.accounts.service import create_account
    from cms.db import tortoise_config
    from cms.errors import BadUserInput, CMSError

    try:
        role_value = Role(role.upper())
    except ValueError:
        raise CommandError(
            f"--role must be one of {', '.join(r.value for r in Role)}, not {role!r}"
        ) from None
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        user = await create_account(
            email=email,
            name=name,
            role=role_value,
            password=password,
            author_id=None,
            passwords=Passwords(),
        )
    except BadUserInput as exc:
        raise CommandError("; ".join(f"{f.field}: {f.message}" for f in exc.fields)) from None
    except CMSError as exc:
        raise CommandError(exc.message) from None
    finally:
        await Tortoise.close_connections()
    return user.email


def cmd_createuser(args: argparse.Namespace, settings: Settings) -> None:
    password = read_password()
    asyncio.run(run_migrations(settings))
    email = asyncio.run(_create_user(settings, args.email, args.name, args.role, password))
    print(f"created {args.role.upper()} {email}")


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(run_migrations(settings))
    print("migrations applied")


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> None:
    if asyncio.run(_seed_demo(settings)):
        print("demo newsroom loaded")
    else:
        print("content exists already; demo not loaded")


def cmd_export_schema(args: argparse.Namespace, settings: Settings | None) -> None:
    from schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from cms.logs import logging_config

    if not 1 <= args.port <= 65535:
        raise CommandError(f"--port must be 1 to 65535, not {args.port}")
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if not 1 <= args.keep_alive <= 3600:
        raise CommandError(f"--keep-alive must be 1 to 3600 seconds, not {args.keep_alive}")
    if os.environ.get("CMS_SKIP_MIGRATE") != "1":  # a fleet migrates once, as a release step
        asyncio.run(run_migrations(settings))
    uvicorn.run(
        "cms.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        timeout_graceful_shutdown=25,
        # longer than the load balancer keeps an idle connection, so the balancer
        # (not uvicorn) closes it: the other way round, a request it sends just as
        # uvicorn closes is lost as a 502
        timeout_keep_alive=args.keep_alive,
        # JSON (production) or text records; uvicorn's access log is replaced by
        # `cms.access`, which knows the request id, operation and caller
        log_config=logging_config(fmt=settings.log_format, level=settings.log_level),
        access_log=False,
    )


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`cms --help` still shows usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cms: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cms", description="Newsroom CMS")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    serve = sub.add_parser("serve", help="migrate if needed, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--keep-alive",
        type=int,
        default=75,
        metavar="SECONDS",
        help="idle keep-alive connections are closed after this long (default 75: more"
        " than a load balancer's idle timeout, 60 on AWS ALB)",
    )
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="apply pending migrations").set_defaults(handler=cmd_migrate)
    createuser = sub.add_parser(
        "createuser", help="create an account; the password is read from standard input"
    )
    createuser.add_argument("--email", required=True)
    createuser.add_argument("--name", required=True)
    createuser.add_argument("--role", required=True, help="CONTRIBUTOR, AUTHOR, EDITOR or ADMIN")
    createuser.set_defaults(handler=cmd_createuser)
    sub.add_parser("seed-demo", help="load the demo newsroom unless content exists").set_defaults(
        handler=cmd_seed_demo
    )
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        handler=cmd_export_schema, needs_settings=False
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # commands print what they did; the log is for warnings (serve logs via uvicorn)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings() if getattr(args, "needs_settings", True) else None
        args.handler(args, settings)
    except (SettingsError, CommandError) as exc:
        print(f"cms: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
