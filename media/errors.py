"""The media package's exceptions.

`media` must not import `cms`, so it cannot raise `cms.errors.CMSError`; it has
its own root instead, and the domain translates at its boundary
(`raise cms.errors.… from exc`). Each subclass names the API error code it
stands for in `code`, so that translation is a lookup rather than a guess.
Messages are meant for the person who uploaded the file: they never carry
paths, library names or exception text from Pillow or the storage backend.
"""

from __future__ import annotations


class MediaError(Exception):
    """Root of every error the media package raises on purpose; never raised itself.

    Catching `MediaError` lets a caller handle every expected media failure in
    one place while a genuine bug (a `TypeError`, say) still surfaces.
    """

    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedMediaType(MediaError):
    """The content (as sniffed, not as named or declared) is not an allowed type."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class PayloadTooLarge(MediaError):
    """The upload is bigger than the configured limit."""

    code = "PAYLOAD_TOO_LARGE"


class ImageError(MediaError):
    """The file claims to be an image but cannot be used as one.

    Covers undecodable or truncated data, decompression bombs and images with
    more pixels than we are willing to decode. It is the uploader's file that
    is at fault, not the server, hence a user-input code.
    """

    code = "BAD_USER_INPUT"


class StorageError(MediaError):
    """The storage backend failed to store, read or delete an object.

    Not the uploader's fault, so it maps to the generic server error; the
    driver logs the details and keeps them out of the message.
    """

    code = "INTERNAL_SERVER_ERROR"


class StorageUnreachable(StorageError):
    """The storage backend could not be reached at all (refused, reset or timed out
    connections), as opposed to one that answered with a refusal. Nothing was
    stored; the same request may succeed once the backend is back."""

    code = "SERVICE_UNAVAILABLE"
