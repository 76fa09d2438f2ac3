"""HTTP endpoints of the local driver: serving stored files, and receiving direct
uploads (the local stand-in for an S3 presigned POST)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from media.errors import MediaError
from media.local import POLICY_FIELD, SIGNATURE_FIELD, LocalStorage
from media.sniff import EXTENSIONS
from media.storage import is_valid_key

CONTENT_TYPES = {ext: mime for mime, ext in EXTENSIONS.items()} | {"webp": "image/webp"}
FORM_OVERHEAD = 64 * 1024


async def serve_media(request: Request) -> Response:
    """A stored file with its type, never sniffed by the browser, cached for a year
    (keys never change content)."""
    storage = request.state.storage
    key = request.path_params["key"]
    if not isinstance(storage, LocalStorage) or not is_valid_key(key):
        return Response(status_code=404)
    path = storage.path_of(key)
    if not path.is_file():
        return Response(status_code=404)
    return FileResponse(
        path,
        media_type=CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream"),
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def receive_direct_upload(request: Request) -> Response:
    """POST of a direct upload form: the signed policy decides key, type and size."""
    storage = request.state.storage
    if not isinstance(storage, LocalStorage):
        return Response(status_code=404)
    limit = request.state.settings.max_upload_bytes
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return _refuse(411, "Content-Length is required")
    if int(length) > limit + FORM_OVERHEAD:
        return _refuse(413, "the file is larger than allowed")
    async with request.form(max_files=1, max_fields=10) as form:
        policy = storage.read_policy(
            str(form.get(POLICY_FIELD, "")), str(form.get(SIGNATURE_FIELD, "")), datetime.now(UTC)
        )
        if policy is None:
            return _refuse(403, "invalid or expired upload policy")
        upload = form.get("file")
        if (
            form.get("key") != policy["key"]
            or form.get("Content-Type") != policy["content_type"]
            or not isinstance(upload, UploadFile)
        ):
            return _refuse(403, "the form does not match its policy")
        size = upload.size or 0
        if not 1 <= size <= int(policy["max_bytes"]):  # type: ignore[call-overload]
            return _refuse(400, "the file size is outside the allowed range")
        try:
            await storage.put(str(policy["key"]), upload.file, str(policy["content_type"]))
        except MediaError:
            return _refuse(503, "media storage is unavailable")
    return Response(status_code=204)
