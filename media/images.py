"""Measuring uploaded images and making WebP renditions of them.

Everything here is synchronous, blocking, CPU- and memory-bound work: on the
event loop one large photo would stall every other request, so callers run it
in a worker thread (`anyio.to_thread.run_sync`).

Uploads are hostile until decoded, so every function opens images the same
way (`_open_image`):

- only the formats we accept (JPEG, PNG, GIF, WebP, AVIF) are tried, so
  Pillow never hands a crafted file to a plugin we did not mean to expose
  (EPS, for one, would run Ghostscript);
- the declared size is checked against `MAX_PIXELS` before anything is
  decoded, because a few kilobytes of PNG can declare gigabytes of pixels.
  The limit is ours, not Pillow's global `Image.MAX_IMAGE_PIXELS`: changing
  that would change it for every other user of Pillow in the process;
- Pillow's own `DecompressionBombWarning` is turned into an error too, so a
  stricter global limit set by someone else is still honoured rather than
  merely logged;
- any failure to decode becomes `ImageError` with a message fit for the
  uploader; Pillow's own text, which names internals, stays in `__cause__`.

Images come as a path or as an open binary file (an upload's spooled
temporary file, which is left open). A missing or unreadable *path* is the
caller's problem, not the uploader's, so it propagates as the `OSError` it is.
"""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO, TypeAlias

from PIL import Image, ImageFile, ImageOps

from media.errors import ImageError

#: The most pixels we decode. 50 megapixels is beyond any newsroom camera's
#: stills (a 45 MP full-frame body is 8192 x 5464) yet keeps a decoded RGBA
#: frame near 200 MB, which a worker thread can afford.
MAX_PIXELS = 50_000_000

DEFAULT_RENDITION_WIDTHS: tuple[int, ...] = (320, 640, 1280)

# Pillow format names of the image types `media.sniff` lets through.
_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF")
_ORIENTATION_TAG = 0x0112
# EXIF orientations 5-8 are the ones that include a quarter turn.
_QUARTER_TURN_ORIENTATIONS = (5, 6, 7, 8)
_WEBP_QUALITY = 80
# What Pillow raises for data it cannot decode: truncated files and decoder
# failures are OSError, broken headers and CRCs SyntaxError, and some plugins
# let the rest through from their parsers.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)

#: A filesystem path, or a binary file object open for reading and seeking
#: (an upload's spooled temporary file), which is left open.
ImageSource: TypeAlias = str | os.PathLike[str] | IO[bytes]

_TOO_LARGE = f"The image is too large: at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
_UNREADABLE = "The image could not be read; the file may be damaged or incomplete."


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An image's size as a viewer shows it (EXIF orientation applied) and its format.

    `format` is Pillow's name for the decoded format (JPEG, PNG, GIF, WEBP,
    AVIF), which confirms what `media.sniff` guessed from the first bytes.
    """

    width: int
    height: int
    format: str


@dataclass(frozen=True, slots=True)
class Rendition:
    """One encoded, resized copy of an image, ready to be stored.

    `data` is keyword-only so it can follow the defaulted `format`, and kept
    out of the repr so a logged rendition is not a wall of bytes.
    """

    width: int
    height: int
    format: str = "webp"
    data: bytes = field(kw_only=True, repr=False)


def inspect_image(path: ImageSource) -> ImageInfo:
    """Check that `path` holds a whole, decodable image, and measure it.

    Synchronous and blocking: run it in a worker thread. `path` is a path or
    an open binary file. Verifies on one open
    (PNG's chunk CRCs, for example) and decodes the first frame on a second
    open, because `verify()` leaves the image unusable and, for JPEG, checks
    nothing: only a full decode finds a truncated file. Width and height are
    those of the upright image, so a portrait photo stored sideways with an
    EXIF rotation reports as portrait.

    Raises `ImageError` for undecodable or truncated data and for images over
    `MAX_PIXELS`.
    """
    with _open_image(path) as image:
        image.verify()
    with _open_image(path) as image:
        image.load()
        width, height = image.size
        image_format = image.format
        orientation = image.getexif().get(_ORIENTATION_TAG)
    if image_format is None:  # every opened file has one; keeps the type honest
        raise ImageError(_UNREADABLE)
    if orientation in _QUARTER_TURN_ORIENTATIONS:
        width, height = height, width
    return ImageInfo(width=width, height=height, format=image_format)


def make_renditions(
    path: ImageSource,
    widths: Sequence[int] = DEFAULT_RENDITION_WIDTHS,
) -> list[Rendition]:
    """Encode a WebP copy of the image for each of `widths` narrower than it.

    Synchronous and blocking: run it in a worker thread. `path` is a path or
    an open binary file. Widths at or above the original's (upright) width
    are skipped, since an upscaled copy is larger and no sharper, so an image
    narrower than every width gets none. Each rendition keeps the aspect
    ratio, is turned upright from its EXIF orientation and is RGB, or RGBA
    when the source has transparency. Animated GIF and WebP give their first
    frame. Returned narrowest first.

    Metadata is stripped: GPS positions and camera serial numbers are not for
    the public, and the orientation has already been applied. The ICC profile
    goes too, so copies of a wide-gamut (Display P3, Adobe RGB) original are
    shown as sRGB and look slightly duller than it.

    Does not verify the whole file when no rendition is needed; call
    `inspect_image` for that. Raises `ImageError` like `inspect_image`.
    """
    if any(width <= 0 for width in widths):
        raise ValueError("rendition widths must be positive")
    with _open_image(path) as image:
        stored_width, stored_height = image.size
        quarter_turn = image.getexif().get(_ORIENTATION_TAG) in _QUARTER_TURN_ORIENTATIONS
        upright_width, upright_height = (
            (stored_height, stored_width) if quarter_turn else (stored_width, stored_height)
        )
        targets = sorted({width for width in widths if width < upright_width})
        if not targets:
            return []
        # JPEG can decode at 1/2, 1/4 or 1/8 scale for a fraction of the time
        # and memory; ask for no less than the widest rendition needs.
        # (A no-op for the other formats.)
        needed = (targets[-1], math.ceil(targets[-1] * upright_height / upright_width))
        image.draft(None, (needed[1], needed[0]) if quarter_turn else needed)
        upright = ImageOps.exif_transpose(image)
        upright = upright.convert("RGBA" if upright.has_transparency_data else "RGB")
        renditions = []
        for width in targets:
            height = max(1, round(width * upright_height / upright_width))
            resized = upright.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            buffer = io.BytesIO()
            # No exif/icc_profile/xmp arguments: Pillow writes only the
            # metadata it is given, so the copy carries none.
            resized.save(buffer, format="WEBP", quality=_WEBP_QUALITY)
            renditions.append(Rendition(width=width, height=height, data=buffer.getvalue()))
    return renditions


@contextmanager
def _open_image(path: ImageSource) -> Iterator[ImageFile.ImageFile]:
    """Open an image under our format allowlist and pixel limit.

    The body of the `with` runs under the same protection, so decoding errors
    raised there become `ImageError` too.
    """
    with ExitStack() as stack:
        if isinstance(path, (str, os.PathLike)):
            # Opened here, outside the `try`, so a missing file is not "a damaged image".
            fp: IO[bytes] = stack.enter_context(open(path, "rb"))
        else:
            fp = path  # the caller's to close; Image.open rewinds it
        stack.enter_context(warnings.catch_warnings())
        # catch_warnings swaps the process-wide filter list, and on Python
        # before 3.14 that races between threads; the worst a race can do is
        # leave this one filter in place for longer, which is harmless, and
        # the explicit size check below does not depend on it at all.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(fp, formats=_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageError(_TOO_LARGE)
                yield image
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(_TOO_LARGE) from exc
        except _DECODE_ERRORS as exc:
            raise ImageError(_UNREADABLE) from exc
