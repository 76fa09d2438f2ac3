"""Media queries and mutations: uploads (through the API and direct to storage),
metadata, deletion, and the editors' media library."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from cms.accounts.actor import Scope
from cms.assets import service
from cms.assets.models import AssetState, MediaAsset
from cms.assets.service import FocalPoint, MediaFields
from cms.errors import BadUserInput
from cms.pagination import check_first, page_of
from schema.articles.queries import AFTER, FIRST
from schema.connections import Connection, connection_of
from schema.context import Info
from schema.inputs import arg, given, id_of
from schema.media.types import MediaAssetType
from schema.permissions import Requires, allow

WRITE = Requires(scope=Scope.MEDIA_WRITE)
READ = Requires(scope=Scope.CONTENT_READ)


@strawberry.input(description="A point of interest in 0..1 from the top left.")
class FocalPointInput:
    x: float = strawberry.field(description="0 (left) to 1 (right).")
    y: float = strawberry.field(description="0 (top) to 1 (bottom).")


@strawberry.input(description="Details of an asset: fields left out stay, null clears.")
class MediaInput:
    alt_text: str | None = strawberry.field(default=strawberry.UNSET, description="Alt text.")
    caption: str | None = strawberry.field(default=strawberry.UNSET, description="Caption.")
    credit: str | None = strawberry.field(default=strawberry.UNSET, description="Credit.")
    focal_point: FocalPointInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where to center crops."
    )


@strawberry.input(description="What a direct upload will send.")
class MediaUploadInput:
    filename: str = strawberry.field(description="The file's name (display only).")
    content_type: str = strawberry.field(description="Its exact MIME type.")
    byte_size: int = strawberry.field(description="Its exact size in bytes.")


@strawberry.type(description="A presigned POST: send `fields` and then the file to `url`.")
class MediaUploadTicket:
    asset: MediaAssetType = strawberry.field(description="The pending asset.")
    url: str = strawberry.field(description="Where to POST the form.")
    fields: JSON = strawberry.field(description="Form fields to send before the file.")
    expires_at: datetime = strawberry.field(description="The form is refused after this.")


def _fields(data: MediaInput | None) -> MediaFields:
    if data is None:
        return MediaFields()
    return MediaFields(
        alt_text=given(data.alt_text),
        caption=given(data.caption),
        credit=given(data.credit),
        focal_point=given(data.focal_point, lambda p: FocalPoint(x=p.x, y=p.y)),
    )


def _asset_id(value: str) -> int:
    return id_of("MediaAsset", "id")(value)


ASSET_ID = Annotated[strawberry.ID, arg("The asset's ID.")]


@strawberry.type
class MediaQuery:
    @strawberry.field(description="One asset (editors).", extensions=allow(READ))
    async def media_asset(self, info: Info, id: ASSET_ID) -> MediaAssetType | None:
        row = await MediaAsset.filter(id=_asset_id(id), state=AssetState.READY).first()
        return MediaAssetType.from_row(row, info) if row else None

    @strawberry.field(
        description="The media library, newest first (editors).", extensions=allow(READ)
    )
    async def media_assets(
        self, info: Info, first: FIRST = 20, after: AFTER = None
    ) -> Connection[MediaAssetType]:
        size = check_first(first)
        query = MediaAsset.filter(state=AssetState.READY)
        if after is not None:
            key = info.context.cursors.decode("media", after)
            if len(key) != 1 or not isinstance(key[0], int):
                raise BadUserInput.for_field("after", "invalid cursor")
            query = query.filter(id__lt=key[0])
        rows = await query.order_by("-id").limit(size + 1)
        page = page_of(rows, size, has_previous=after is not None)
        return connection_of(
            page,
            lambda r: MediaAssetType.from_row(r, info),
            lambda r: info.context.cursors.encode("media", [r.id]),
        )


@strawberry.type
class MediaMutation:
    @strawberry.mutation(
        description="Uploads a file (GraphQL multipart request; needs a CSRF header).",
        extensions=allow(WRITE),
    )
    async def upload_media(
        self,
        info: Info,
        file: Annotated[Upload, arg("The file.")],
        input: Annotated[MediaInput | None, arg("Its details.")] = None,
    ) -> MediaAssetType:
        ctx = info.context
        if not isinstance(file, UploadFile):
            # `Upload` takes any value; only a multipart part is a file, never an
            # inline literal or a JSON variable
            raise BadUserInput.for_field("file", "send the file as a multipart request part")
        row = await service.upload_media(
            actor=ctx.actor,
            source=file,
            filename=file.filename,
            fields=_fields(input),
            storage=ctx.storage,
            max_bytes=ctx.settings.max_upload_bytes,
            now=ctx.now,
        )
        return MediaAssetType.from_row(row, info)

    @strawberry.mutation(
        description="A presigned POST for a large file, straight to storage.",
        extensions=allow(WRITE),
    )
    async def create_media_upload(
        self, info: Info, input: Annotated[MediaUploadInput, arg("What will be sent.")]
    ) -> MediaUploadTicket:
        ctx = info.context
        row, post = await service.create_media_upload(
            actor=ctx.actor,
            filename=input.filename,
            content_type=input.content_type,
            byte_size=input.byte_size,
            storage=ctx.storage,
            max_bytes=ctx.settings.max_upload_bytes,
            now=ctx.now,
            request_base=ctx.request_base,
        )
        return MediaUploadTicket(
            asset=MediaAssetType.from_row(row, info),
            url=post.url,
            fields=post.fields,
            expires_at=post.expires_at,
        )

    @strawberry.mutation(
        description="Checks a direct upload arrived and is what it claimed; measures it.",
        extensions=allow(WRITE),
    )
    async def complete_media_upload(self, info: Info, id: ASSET_ID) -> MediaAssetType:
        ctx = info.context
        row = await service.complete_media_upload(
            actor=ctx.actor,
            asset_id=_asset_id(id),
            storage=ctx.storage,
            max_bytes=ctx.settings.max_upload_bytes,
            now=ctx.now,
        )
        return MediaAssetType.from_row(row, info)

    @strawberry.mutation(description="Changes an asset's details.", extensions=allow(WRITE))
    async def update_media_asset(
        self, info: Info, id: ASSET_ID, input: Annotated[MediaInput, arg("The changes.")]
    ) -> MediaAssetType:
        ctx = info.context
        row = await service.update_media_asset(
            actor=ctx.actor, asset_id=_asset_id(id), fields=_fields(input), now=ctx.now
        )
        return MediaAssetType.from_row(row, info)

    @strawberry.mutation(
        description="Deletes an asset no content uses, with its files.", extensions=allow(WRITE)
    )
    async def delete_media_asset(self, info: Info, id: ASSET_ID) -> bool:
        ctx = info.context
        return await service.delete_media_asset(
            actor=ctx.actor, asset_id=_asset_id(id), storage=ctx.storage, now=ctx.now
        )
