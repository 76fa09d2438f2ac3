"""Measuring uploaded images safely and making upright, metadata-free WebP renditions."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFile, features

from media import images
from media.errors import ImageError, MediaError
from media.images import MAX_PIXELS, ImageInfo, Rendition, inspect_image, make_renditions

ORIENTATION = 0x0112
RED = (220, 20, 20)
WHITE = (255, 255, 255)


def save(path: Path, image: Image.Image, format: str, **params: Any) -> Path:
    """Write `image` to `path` with Pillow and return the path."""
    image.save(path, format=format, **params)
    return path


def photo(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A white image with a red block in its top-left corner, to tell which way is up."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 3), fill=RED)
    return image


def exif_with(orientation: int) -> Image.Exif:
    """EXIF holding an orientation, plus a camera make and a GPS block to be stripped."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "NewsCam"  # Make
    exif.get_ifd(0x8825)[2] = (50.0, 27.0, 0.0)  # GPSLatitude
    return exif


def png_declaring(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of the given size, built without ever holding its pixels.

    Its rows are all zero, so even a gigapixel image is a few tens of kilobytes.
    """

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then 8 pixels a byte
    rows_per_call = 256
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * rows_per_call) for _ in range(height // rows_per_call)]
    parts.append(compressor.compress(row * (height % rows_per_call)))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def decoded(rendition: Rendition) -> Image.Image:
    """The rendition's bytes opened with Pillow, fully loaded."""
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def close_to(actual: Any, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    """Whether a decoded pixel matches `expected` within lossy-codec noise."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any image data is decoded (pixel allocation happens in `load`)."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("image data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# inspect_image


@pytest.mark.parametrize(
    ("format", "mode", "expected_format"),
    [
        ("JPEG", "RGB", "JPEG"),
        ("JPEG", "L", "JPEG"),
        ("JPEG", "CMYK", "JPEG"),
        ("PNG", "RGBA", "PNG"),
        ("PNG", "P", "PNG"),
        ("GIF", "P", "GIF"),
        ("WEBP", "RGB", "WEBP"),
        ("WEBP", "RGBA", "WEBP"),
    ],
)
def test_dimensions_and_format_are_measured(
    tmp_path: Path, format: str, mode: str, expected_format: str
) -> None:
    """Each accepted image format is measured with its real width, height and format."""
    path = save(tmp_path / "image", Image.new(mode, (123, 45)), format)
    assert inspect_image(path) == ImageInfo(width=123, height=45, format=expected_format)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF support")
def test_avif_is_measured(tmp_path: Path) -> None:
    """An AVIF file is decoded and measured like the other formats."""
    path = save(tmp_path / "image.avif", Image.new("RGB", (64, 48), "navy"), "AVIF")
    assert inspect_image(path) == ImageInfo(width=64, height=48, format="AVIF")


def test_an_open_file_is_measured_and_left_open(tmp_path: Path) -> None:
    """An upload's open file can be passed instead of a path and stays open for the caller."""
    path = save(tmp_path / "image.png", Image.new("RGB", (30, 20)), "PNG")
    with path.open("rb") as upload:
        upload.seek(7)
        assert inspect_image(upload) == ImageInfo(width=30, height=20, format="PNG")
        assert not upload.closed


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_quarter_turn_orientations_swap_width_and_height(tmp_path: Path, orientation: int) -> None:
    """A photo stored sideways with EXIF orientation 5 to 8 is measured as it is shown."""
    path = save(tmp_path / "photo.jpg", photo((400, 300)), "JPEG", exif=exif_with(orientation))
    assert inspect_image(path) == ImageInfo(width=300, height=400, format="JPEG")


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 9])
def test_other_orientations_keep_width_and_height(tmp_path: Path, orientation: int) -> None:
    """Orientations without a quarter turn, and invalid ones, leave the measurements alone."""
    path = save(tmp_path / "photo.jpg", photo((400, 300)), "JPEG", exif=exif_with(orientation))
    assert inspect_image(path) == ImageInfo(width=400, height=300, format="JPEG")


def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path, no_decoding: None) -> None:
    """A tiny PNG declaring 20000x20000 pixels is refused at once, before any pixel is allocated."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(20_000, 20_000))
    assert path.stat().st_size < 200_000
    limit_before = Image.MAX_IMAGE_PIXELS
    started = time.perf_counter()
    with pytest.raises(ImageError) as caught:
        inspect_image(path)
    with pytest.raises(ImageError):
        make_renditions(path)
    assert time.perf_counter() - started < 2
    assert "megapixels" in caught.value.message
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_our_pixel_limit_applies_below_pillows(tmp_path: Path, no_decoding: None) -> None:
    """An image over MAX_PIXELS but under Pillow's own warning threshold is still refused."""
    width, height = 8_000, 6_500
    assert MAX_PIXELS < width * height < (Image.MAX_IMAGE_PIXELS or 0)
    path = tmp_path / "large.png"
    path.write_bytes(png_declaring(width, height))
    with pytest.raises(ImageError):
        inspect_image(path)
    with pytest.raises(ImageError):
        make_renditions(path)


def test_pixel_limit_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image of exactly MAX_PIXELS is accepted and one pixel row more is refused."""
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    at_limit = save(tmp_path / "at.png", Image.new("RGB", (10, 10)), "PNG")
    over_limit = save(tmp_path / "over.png", Image.new("RGB", (10, 11)), "PNG")
    assert inspect_image(at_limit).width == 10
    with pytest.raises(ImageError):
        inspect_image(over_limit)


def test_a_stricter_global_pillow_limit_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow's decompression-bomb warning is an error here even where warnings are only shown."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 8_000)  # warns above 8000, errors above 16000
    path = save(tmp_path / "image.png", Image.new("RGB", (100, 100)), "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with pytest.raises(ImageError):
            inspect_image(path)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    """A JPEG cut off halfway through its image data cannot pass as an image."""
    buffer = io.BytesIO()
    Image.effect_noise((600, 400), 64).convert("RGB").save(buffer, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError) as caught:
        inspect_image(path)
    with pytest.raises(ImageError):
        make_renditions(path)
    assert "damaged or incomplete" in caught.value.message
    assert str(path) not in caught.value.message


def test_png_with_a_corrupt_chunk_is_refused(tmp_path: Path) -> None:
    """A PNG whose image data fails its CRC is refused, though its pixels would decode."""
    data = bytearray(png_declaring(64, 64))
    tag = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[tag - 4 : tag])
    data[tag + 4 + length] ^= 0xFF  # first byte of the chunk's CRC
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError):
        inspect_image(path)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(60), id="jpeg-header-then-zeros"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, id="png-signature-then-garbage"),
        pytest.param(b"GIF89a", id="gif-signature-only"),
        pytest.param(b"", id="empty"),
    ],
)
def test_undecodable_data_is_refused(tmp_path: Path, data: bytes) -> None:
    """Bytes that only start like an image raise ImageError, not a Pillow exception."""
    path = tmp_path / "broken"
    path.write_bytes(data)
    with pytest.raises(ImageError):
        inspect_image(path)


@pytest.mark.parametrize("format", ["BMP", "TIFF", "ICO"])
def test_formats_outside_the_allowlist_are_not_decoded(tmp_path: Path, format: str) -> None:
    """Pillow formats we do not accept are refused even though Pillow could read them."""
    path = save(tmp_path / "image", Image.new("RGB", (32, 32)), format)
    with pytest.raises(ImageError):
        inspect_image(path)


def test_a_missing_file_is_not_blamed_on_the_uploader(tmp_path: Path) -> None:
    """A path that does not exist raises FileNotFoundError, not ImageError."""
    with pytest.raises(FileNotFoundError):
        inspect_image(tmp_path / "nowhere.jpg")


def test_image_error_is_a_media_error_with_a_user_input_code() -> None:
    """ImageError is caught as MediaError and reports the uploader's input as at fault."""
    assert issubclass(ImageError, MediaError)
    assert ImageError("x").code == "BAD_USER_INPUT"


# make_renditions


def test_renditions_at_every_smaller_width(tmp_path: Path) -> None:
    """A 1600x900 image gives WebP renditions 320, 640 and 1280 wide with its aspect ratio."""
    path = save(tmp_path / "wide.jpg", photo((1600, 900)), "JPEG")
    renditions = make_renditions(path)
    assert [(r.width, r.height, r.format) for r in renditions] == [
        (320, 180, "webp"),
        (640, 360, "webp"),
        (1280, 720, "webp"),
    ]
    for rendition in renditions:
        image = decoded(rendition)
        assert image.format == "WEBP"
        assert image.size == (rendition.width, rendition.height)
        assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("width", "expected_widths"),
    [
        (1281, [320, 640, 1280]),
        (1280, [320, 640]),
        (641, [320, 640]),
        (640, [320]),
        (500, [320]),
        (321, [320]),
        (320, []),
        (200, []),
    ],
)
def test_renditions_are_never_upscaled(
    tmp_path: Path, width: int, expected_widths: list[int]
) -> None:
    """Only widths strictly narrower than the original are made; a narrow image gets none."""
    path = save(tmp_path / "image.png", Image.new("RGB", (width, 300), "olive"), "PNG")
    assert [r.width for r in make_renditions(path)] == expected_widths


def test_custom_widths_are_deduplicated_and_sorted(tmp_path: Path) -> None:
    """Widths given in any order, with repeats, give one rendition each, narrowest first."""
    path = save(tmp_path / "image.png", Image.new("RGB", (1000, 500)), "PNG")
    renditions = make_renditions(path, widths=(800, 100, 800, 2000))
    assert [(r.width, r.height) for r in renditions] == [(100, 50), (800, 400)]


def test_non_positive_widths_are_a_programming_error(tmp_path: Path) -> None:
    """A zero or negative width is the caller's bug, reported as ValueError before any work."""
    with pytest.raises(ValueError, match="positive"):
        make_renditions(tmp_path / "never-opened.png", widths=(320, 0))


def test_exif_rotated_photo_gives_upright_renditions(tmp_path: Path) -> None:
    """A landscape-stored photo with orientation 6 gives portrait renditions, turned upright."""
    path = save(tmp_path / "photo.jpg", photo((1600, 900)), "JPEG", exif=exif_with(6))
    renditions = make_renditions(path)
    assert [(r.width, r.height) for r in renditions] == [(320, 569), (640, 1138)]
    for rendition in renditions:
        image = decoded(rendition).convert("RGB")
        width, height = image.size
        # Orientation 6 means "turn 90 degrees clockwise to view": the stored
        # top-left corner is shown at the top right.
        assert close_to(image.getpixel((width - 5, 5)), RED)
        assert close_to(image.getpixel((5, 5)), WHITE)
        assert close_to(image.getpixel((width - 5, height - 5)), WHITE)


def test_large_jpeg_renditions_have_exact_sizes(tmp_path: Path) -> None:
    """A big, rotated JPEG (decoded at reduced scale) still gives renditions of exact sizes."""
    path = save(tmp_path / "big.jpg", photo((4000, 3000)), "JPEG", exif=exif_with(8))
    renditions = make_renditions(path)
    assert [(r.width, r.height) for r in renditions] == [(320, 427), (640, 853), (1280, 1707)]
    for rendition in renditions:
        assert decoded(rendition).size == (rendition.width, rendition.height)


def test_metadata_is_stripped(tmp_path: Path) -> None:
    """Renditions carry no EXIF (GPS, camera), ICC profile or XMP from the original."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(
        tmp_path / "photo.jpg",
        photo((800, 600)),
        "JPEG",
        exif=exif_with(1),
        icc_profile=icc,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    )
    with Image.open(path) as original:
        assert {"exif", "icc_profile", "xmp"} <= set(original.info)
    for rendition in make_renditions(path):
        image = decoded(rendition)
        assert not {"exif", "icc_profile", "xmp"} & set(image.info)
        assert len(image.getexif()) == 0


@pytest.mark.parametrize(
    ("mode", "colour", "format", "params", "expected_mode"),
    [
        pytest.param("RGBA", (0, 0, 255, 0), "PNG", {}, "RGBA", id="png-rgba"),
        pytest.param("LA", (0, 0), "PNG", {}, "RGBA", id="png-la"),
        pytest.param("P", 0, "PNG", {"transparency": 0}, "RGBA", id="png-palette-transparent"),
        pytest.param(
            "RGB", (1, 2, 3), "PNG", {"transparency": (1, 2, 3)}, "RGBA", id="png-rgb-trns"
        ),
        pytest.param("P", 0, "GIF", {"transparency": 0}, "RGBA", id="gif-transparent"),
        pytest.param("P", 3, "GIF", {}, "RGB", id="gif-opaque"),
        pytest.param("1", 1, "PNG", {}, "RGB", id="png-bilevel"),
        pytest.param("I;16", 4000, "PNG", {}, "RGB", id="png-16-bit"),
        pytest.param("CMYK", (0, 90, 90, 0), "JPEG", {}, "RGB", id="jpeg-cmyk"),
        pytest.param("L", 128, "JPEG", {}, "RGB", id="jpeg-grey"),
    ],
)
def test_renditions_are_rgb_or_rgba_as_webp_needs(
    tmp_path: Path,
    mode: str,
    colour: Any,
    format: str,
    params: dict[str, Any],
    expected_mode: str,
) -> None:
    """Every source mode becomes RGB, or RGBA when it has transparency."""
    path = save(tmp_path / "image", Image.new(mode, (500, 300), colour), format, **params)
    (rendition,) = make_renditions(path)
    assert decoded(rendition).mode == expected_mode


@pytest.mark.parametrize("format", ["GIF", "WEBP"])
def test_animations_give_their_first_frame(tmp_path: Path, format: str) -> None:
    """An animated GIF or WebP gives still renditions of its first frame."""
    frames = [Image.new("RGB", (800, 450), colour) for colour in (RED, (20, 20, 220))]
    path = save(
        tmp_path / "anim",
        frames[0],
        format,
        save_all=True,
        append_images=frames[1:],
        duration=100,
        loop=0,
    )
    with Image.open(path) as original:
        assert getattr(original, "n_frames", 1) == 2
    for rendition in make_renditions(path):
        image = decoded(rendition)
        assert not getattr(image, "is_animated", False)
        assert close_to(image.convert("RGB").getpixel((10, 10)), RED)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF support")
def test_avif_gives_renditions(tmp_path: Path) -> None:
    """An AVIF original gives WebP renditions like any other image."""
    path = save(tmp_path / "image.avif", Image.new("RGB", (700, 350), "navy"), "AVIF")
    assert [(r.width, r.height) for r in make_renditions(path)] == [(320, 160), (640, 320)]


def test_renditions_from_an_open_file(tmp_path: Path) -> None:
    """An upload's open file can be passed instead of a path, and stays open."""
    path = save(tmp_path / "image.webp", Image.new("RGB", (900, 600)), "WEBP")
    with path.open("rb") as upload:
        assert [r.width for r in make_renditions(upload)] == [320, 640]
        assert not upload.closed


def test_rendition_repr_leaves_out_the_bytes() -> None:
    """A logged rendition shows its size, not its encoded data."""
    rendition = Rendition(320, 180, data=b"\x00" * 10_000)
    assert "data" not in repr(rendition)
    assert rendition.format == "webp"
