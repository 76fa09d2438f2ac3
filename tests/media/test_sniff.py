"""Recognising allowed uploads from their first bytes, and refusing everything else."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable

import pytest
from PIL import Image, features

from media.errors import MediaError, UnsupportedMediaType
from media.sniff import ALLOWED_TYPES, EXTENSIONS, sniff

# Callers hand `sniff` this much of the file (or all of it, when shorter).
HEAD = 64


def image_bytes(format: str, mode: str = "RGB", size: tuple[int, int] = (40, 30)) -> bytes:
    """A real image file written by Pillow."""
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, format=format)
    return buffer.getvalue()


def ftyp(major: bytes, *compatible: bytes, size: int | None = None) -> bytes:
    """An ISO-BMFF `ftyp` box followed by an empty `mdat`, as muxers write them."""
    body = b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)
    box_size = size if size is not None else 4 + len(body)
    return struct.pack(">I", box_size) + body + struct.pack(">I", 8) + b"mdat"


def minimal_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def zip_bytes() -> bytes:
    """A ZIP archive holding one text file (also what DOCX and EPUB look like)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("story.txt", "Once upon a time")
    return buffer.getvalue()


def avif_bytes() -> bytes:
    """A real AVIF file from Pillow, or a skip where Pillow cannot write AVIF."""
    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF support")
    return image_bytes("AVIF")


ALLOWED: list[tuple[str, Callable[[], bytes], str]] = [
    ("jpeg", lambda: image_bytes("JPEG"), "image/jpeg"),
    ("png", lambda: image_bytes("PNG"), "image/png"),
    ("png-rgba", lambda: image_bytes("PNG", "RGBA"), "image/png"),
    ("gif87a", lambda: image_bytes("GIF"), "image/gif"),
    ("gif89a", lambda: b"GIF89a" + image_bytes("GIF")[6:], "image/gif"),
    ("webp", lambda: image_bytes("WEBP"), "image/webp"),
    ("webp-lossless", lambda: image_bytes("WEBP", "RGBA"), "image/webp"),
    ("avif", avif_bytes, "image/avif"),
    ("avif-brand-avis", lambda: ftyp(b"avis", b"avis", b"msf1"), "image/avif"),
    ("avif-in-mif1", lambda: ftyp(b"mif1", b"mif1", b"miaf", b"avif"), "image/avif"),
    ("mp4-isom", lambda: ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    ("mp4-mp42", lambda: ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
    ("mp4-iso5", lambda: ftyp(b"iso5", b"iso5", b"dash"), "video/mp4"),
    ("mp4-m4v", lambda: ftyp(b"M4V ", b"M4V ", b"mp42"), "video/mp4"),
    ("mp4-dash", lambda: ftyp(b"dash", b"iso6"), "video/mp4"),
    ("mp4-msnv", lambda: ftyp(b"MSNV", b"MSNV", b"isom"), "video/mp4"),
    ("pdf", minimal_pdf, "application/pdf"),
]


@pytest.mark.parametrize(
    ("make", "expected"),
    [pytest.param(make, expected, id=name) for name, make, expected in ALLOWED],
)
def test_allowed_types_are_recognised_from_their_head(
    make: Callable[[], bytes], expected: str
) -> None:
    """Each allowed format is recognised from the first 64 bytes a caller passes."""
    assert sniff(make()[:HEAD]) == expected


def test_a_file_shorter_than_the_head_is_recognised_whole() -> None:
    """A file shorter than 64 bytes, passed whole, is still recognised."""
    data = ftyp(b"isom", b"isom")
    assert len(data) < HEAD
    assert sniff(data) == "video/mp4"


REFUSED: list[tuple[str, Callable[[], bytes]]] = [
    ("empty", lambda: b""),
    ("svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    (
        "svg-with-prolog",
        lambda: (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        ),
    ),
    (
        "html",
        lambda: b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>",
    ),
    ("plain-text", lambda: b"Breaking: council approves the new budget.\n"),
    ("text-like-nothing", lambda: b"lorem ipsum dolor sit amet, consectetur adipiscing elit\n"),
    ("utf8-bom-text", lambda: "\ufeffПривіт, світе".encode()),
    ("zip", zip_bytes),
    ("heic", lambda: ftyp(b"heic", b"mif1", b"heic")),
    ("heix", lambda: ftyp(b"heix", b"mif1", b"heix")),
    ("mif1-only", lambda: ftyp(b"mif1", b"mif1")),
    ("mif1-heic", lambda: ftyp(b"mif1", b"mif1", b"heic")),
    ("quicktime", lambda: ftyp(b"qt  ", b"qt  ")),
    ("3gp", lambda: ftyp(b"3gp5", b"3gp5", b"isom")),
    ("ftyp-size-splits-a-brand", lambda: ftyp(b"isom", b"isom", size=18)),
    ("ftyp-size-too-small", lambda: ftyp(b"isom", b"isom", size=8)),
    ("ftyp-too-short", lambda: b"\x00\x00\x00\x10ftypiso"),
    ("bmp", lambda: image_bytes("BMP")),
    ("tiff", lambda: image_bytes("TIFF")),
    ("ico", lambda: image_bytes("ICO", size=(16, 16))),
    ("wav-riff", lambda: b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32)),
    ("gif-lookalike", lambda: b"GIF88a" + bytes(20)),
    ("png-signature-cut", lambda: b"\x89PNG\r\n"),
    ("jpeg-two-bytes", lambda: b"\xff\xd8"),
    ("pdf-after-junk", lambda: b"<html>\n" + minimal_pdf()),
    ("pdf-without-dash", lambda: b"%PDF"),
    ("elf", lambda: b"\x7fELF\x02\x01\x01" + bytes(57)),
]


@pytest.mark.parametrize("make", [pytest.param(make, id=name) for name, make in REFUSED])
def test_everything_else_is_refused(make: Callable[[], bytes]) -> None:
    """Anything outside the allowlist, including near-misses, is refused as unsupported."""
    with pytest.raises(UnsupportedMediaType):
        sniff(make()[:HEAD])


def test_refusal_is_a_media_error_with_the_api_code_and_a_plain_message() -> None:
    """A refusal is caught as `MediaError`, names its API code and speaks to the uploader."""
    with pytest.raises(MediaError) as caught:
        sniff(b"<svg/>")
    assert caught.value.code == "UNSUPPORTED_MEDIA_TYPE"
    assert "JPEG" in caught.value.message
    assert str(caught.value) == caught.value.message


def test_extensions_cover_exactly_the_allowed_types() -> None:
    """Every allowed type has one extension, and every sniffed result is allowed."""
    assert set(EXTENSIONS) == ALLOWED_TYPES
    assert EXTENSIONS == {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/gif": "gif",
        "image/webp": "webp",
        "image/avif": "avif",
        "video/mp4": "mp4",
        "application/pdf": "pdf",
    }
    assert {expected for _, _, expected in ALLOWED} == ALLOWED_TYPES
