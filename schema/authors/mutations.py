"""Author mutations (EDITOR and above)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.authors import service
from cms.authors.models import AuthorKind
from cms.authors.service import AuthorFields, Link
from schema.authors.types import AuthorKindEnum, AuthorType
from schema.context import Info
from schema.inputs import given, id_of
from schema.permissions import Requires, allow

WRITE = Requires(scope=Scope.CONTENT_WRITE, role=Role.EDITOR)


@strawberry.input(description="A label and an http(s) URL.")
class LinkInput:
    label: str = strawberry.field(description='What the link is, e.g. "X" or "Website".')
    url: str = strawberry.field(description="An http:// or https:// URL.")


@strawberry.input(description="A new byline.")
class AuthorInput:
    name: str = strawberry.field(description="Name as printed on bylines.")
    slug: str | None = strawberry.field(default=None, description="Made from the name if left out.")
    kind: AuthorKindEnum = strawberry.field(  # type: ignore[valid-type]
        default=AuthorKind.PERSON, description="A person or a desk."
    )
    title: str | None = strawberry.field(default=None, description='e.g. "Reporter".')
    bio: str | None = strawberry.field(default=None, description="Short biography.")
    avatar_id: strawberry.ID | None = strawberry.field(default=None, description="An image asset.")
    email: str | None = strawberry.field(default=None, description="Contact (never public).")
    links: list[LinkInput] | None = strawberry.field(default=None, description="Profile links.")


@strawberry.input(description="Changes to a byline: fields left out stay, null clears.")
class AuthorPatch:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    slug: str | None = strawberry.field(default=strawberry.UNSET, description="New slug.")
    kind: AuthorKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="A person or a desk."
    )
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Role.")
    bio: str | None = strawberry.field(default=strawberry.UNSET, description="Biography.")
    avatar_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="An image asset."
    )
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Contact.")
    links: list[LinkInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Profile links (replaces them all)."
    )


def _links(links: list[LinkInput]) -> list[Link]:
    return [Link(label=link.label, url=link.url) for link in links]


def _fields(data: AuthorInput | AuthorPatch) -> AuthorFields:
    return AuthorFields(
        name=given(data.name),
        slug=given(data.slug),
        kind=given(data.kind, AuthorKind),
        title=given(data.title),
        bio=given(data.bio),
        avatar_id=given(data.avatar_id, id_of("MediaAsset", "avatarId")),
        email=given(data.email),
        links=given(data.links, _links),
    )


@strawberry.type
class AuthorMutation:
    @strawberry.mutation(description="Creates a byline (EDITOR).", extensions=allow(WRITE))
    async def create_author(
        self, info: Info, input: Annotated[AuthorInput, strawberry.argument(description="It.")]
    ) -> AuthorType:
        row = await service.create_author(actor=info.context.actor, fields=_fields(input))
        return AuthorType.from_row(row)

    @strawberry.mutation(description="Changes a byline (EDITOR).", extensions=allow(WRITE))
    async def update_author(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The author's ID.")],
        input: Annotated[AuthorPatch, strawberry.argument(description="The changes.")],
        version: Annotated[
            int | None,
            strawberry.argument(description="If given, CONFLICT unless it is the current one."),
        ] = None,
    ) -> AuthorType:
        row = await service.update_author(
            actor=info.context.actor,
            author_id=id_of("Author", "id")(id),
            version=version,
            fields=_fields(input),
            now=info.context.now,
        )
        return AuthorType.from_row(row)

    @strawberry.mutation(
        description="Deletes a byline no article credits any more (EDITOR).",
        extensions=allow(WRITE),
    )
    async def delete_author(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> bool:
        ctx = info.context
        return await service.delete_author(
            actor=ctx.actor, author_id=id_of("Author", "id")(id), now=ctx.now
        )
