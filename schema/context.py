"""The GraphQL context: one typed object per request with the caller, the clock
reading, the loaders and the process resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from cms.accounts.actor import Actor
from cms.accounts.passwords import Passwords
from cms.accounts.throttle import Throttle
from cms.accounts.tokens import TokenHasher
from cms.accounts.totp import SecretBox
from cms.articles.preview import PreviewTokens
from cms.pagination import CursorCodec
from cms.settings import Settings
from media.storage import Storage
from schema.loaders import Loaders


@dataclass(frozen=True, slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    actor: Actor
    # One reading of the clock per request: every visibility check in a response
    # agrees, and a test's injected clock decides what is public.
    now: datetime
    loaders: Loaders
    cursors: CursorCodec
    storage: Storage
    request_base: str  # this server's URL as the client sees it, ending in "/"
    client_ip: str | None
    passwords: Passwords
    token_hasher: TokenHasher
    totp_box: SecretBox
    throttle: Throttle
    previews: PreviewTokens

    def media_url(self, key: str) -> str:
        """The public URL of a stored object."""
        return self.storage.public_url(key, self.request_base)


Info: TypeAlias = strawberry.Info[Context, None]
