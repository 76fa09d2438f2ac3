"""Recognising an upload's type from its first bytes.

The declared filename and Content-Type are whatever the client says; only the
bytes decide what we store and how we serve it. The signatures are written out
by hand rather than asked of libmagic because:

- the allowlist is fixed at seven types, each with a short, well-specified
  signature, so a few comparisons say everything we need;
- libmagic is a system library (and python-magic a binding to it) that every
  laptop, CI image and container would need, and whose answers change with its
  database version; these checks behave the same everywhere;
- this is only the first gate: images are decoded again by Pillow
  (`media.images.inspect_image`), which refuses anything whose header lies.

Signatures are matched at offset 0 only. Formats that tolerate leading junk
(PDF readers accept `%PDF-` anywhere in the first kilobyte) are deliberately
held to the strict form, because leading junk is how polyglot files (an HTML
page that is also a "PDF") get past a sniffer.
"""

from __future__ import annotations

from media.errors import UnsupportedMediaType

#: The file extension stored keys get for each allowed type. Keys come from
#: the sniffed type, never from the uploader's filename.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
}

#: Every MIME type `sniff` can return.
ALLOWED_TYPES: frozenset[str] = frozenset(EXTENSIONS)

_REFUSAL = "This file type is not accepted. Upload a JPEG, PNG, GIF, WebP, AVIF, MP4 or PDF file."

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ISO base media file format (ISO/IEC 14496-12): the file opens with an `ftyp`
# box, `size(4) "ftyp" major_brand(4) minor_version(4) compatible_brands(4*n)`.
# The brand, not the box, tells AVIF from MP4 from HEIC from QuickTime.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# Generic HEIF container brands: AVIF when a compatible brand says so,
# otherwise HEIC or some other HEIF codec we do not accept.
_HEIF_CONTAINER_BRANDS = frozenset({b"mif1", b"msf1"})
# Brands that real MP4 writers put first (ffmpeg, cameras, phones, DASH
# packagers, Sony's MSNV). QuickTime's `qt  ` is left out on purpose: a .mov
# is not an MP4 that browsers are guaranteed to play.
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"dash",
        b"mmp4",
        b"MSNV",
    }
)
_FTYP_FIXED_SIZE = 16  # size, "ftyp", major brand, minor version


def sniff(head: bytes) -> str:
    """Return the MIME type of a file from its first bytes, or refuse it.

    Pass at least the first 64 bytes, or the whole file when it is shorter; a
    shorter head can only make a real file look unrecognisable, never make a
    refused one pass. Returns one of `ALLOWED_TYPES`; anything else (SVG,
    HTML, text, ZIP, HEIC, BMP, TIFF, an empty file...) raises
    `UnsupportedMediaType`.
    """
    if not head:
        raise UnsupportedMediaType("The file is empty.")
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(_PNG_SIGNATURE):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    iso_type = _sniff_iso_bmff(head)
    if iso_type is not None:
        return iso_type
    raise UnsupportedMediaType(_REFUSAL)


def _sniff_iso_bmff(head: bytes) -> str | None:
    """AVIF or MP4 from a leading `ftyp` box; `None` for anything else."""
    if len(head) < _FTYP_FIXED_SIZE or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    # A well-formed ftyp box holds whole four-byte brands; anything else is
    # not a file a real muxer wrote.
    if box_size < _FTYP_FIXED_SIZE or (box_size - _FTYP_FIXED_SIZE) % 4:
        return None
    major = head[8:12]
    if major in _AVIF_BRANDS:
        return "image/avif"
    if major in _MP4_BRANDS:
        return "video/mp4"
    if major in _HEIF_CONTAINER_BRANDS:
        brands_end = min(box_size, len(head))
        compatible = {
            head[offset : offset + 4] for offset in range(_FTYP_FIXED_SIZE, brands_end - 3, 4)
        }
        if compatible & _AVIF_BRANDS:
            return "image/avif"
    return None
