"""Recognising YouTube and Vimeo links and deriving the URLs we store."""

from __future__ import annotations

import dataclasses

import pytest

from cms.errors import BadUserInput
from cms.videos.models import VideoProvider
from cms.videos.urls import ParsedVideo, parse_video_url

YT = "dQw4w9WgXcQ"  # 11 characters of [A-Za-z0-9_-]
YT_ODD = "a-_Z09zzzzA"  # the id alphabet's punctuation, which must survive as is

VALID_YOUTUBE = [
    f"https://www.youtube.com/watch?v={YT}",
    f"http://www.youtube.com/watch?v={YT}",
    f"https://youtube.com/watch?v={YT}",
    f"https://m.youtube.com/watch?v={YT}",
    f"https://www.youtube.com/watch?v={YT}&t=42s&list=PL123&feature=share",
    f"https://www.youtube.com/watch?feature=share&v={YT}",
    f"https://www.youtube.com/watch?v={YT}#t=1m",
    f"HTTPS://WWW.YOUTUBE.COM/watch?v={YT}",
    f"  https://www.youtube.com/watch?v={YT}  ",
    f"https://youtu.be/{YT}",
    f"https://youtu.be/{YT}?si=abcDEF123&t=10",
    f"https://youtu.be/{YT}/",
    f"https://www.youtube.com/shorts/{YT}",
    f"https://youtube.com/shorts/{YT}?feature=share",
    f"https://m.youtube.com/shorts/{YT}",
    f"https://www.youtube.com/embed/{YT}",
    f"https://www.youtube.com/embed/{YT}?start=30&rel=0",
    f"https://www.youtube.com/live/{YT}",
    f"https://www.youtube.com/live/{YT}?si=x",
    f"https://www.youtube-nocookie.com/embed/{YT}",
    f"https://youtube-nocookie.com/embed/{YT}",
]

VALID_VIMEO = [
    "https://vimeo.com/76979871",
    "http://vimeo.com/76979871",
    "https://www.vimeo.com/76979871",
    "https://vimeo.com/76979871/",
    "https://vimeo.com/76979871#t=30s",
    "https://player.vimeo.com/video/76979871",
    "https://player.vimeo.com/video/76979871?autoplay=1",
]

INVALID = [
    # not a link, or not http(s)
    ("", "empty"),
    ("   ", "blank"),
    ("not a url", "words"),
    (f"www.youtube.com/watch?v={YT}", "no scheme"),
    (f"//www.youtube.com/watch?v={YT}", "scheme-relative"),
    (f"ftp://www.youtube.com/watch?v={YT}", "ftp"),
    (f"javascript://www.youtube.com/watch?v={YT}", "javascript scheme"),
    (f"data:text/html,https://youtu.be/{YT}", "data URL"),
    (f"https://www.youtube.com/watch?v={YT}" + "&x=" + "a" * 3000, "absurdly long"),
    # somebody else's host
    (f"https://youtube.com.evil.example/watch?v={YT}", "host suffix"),
    (f"https://evil.example/youtube.com/watch?v={YT}", "host in path"),
    (f"https://evilyoutube.com/watch?v={YT}", "lookalike host"),
    (f"https://music.youtube.com/watch?v={YT}", "other YouTube subdomain"),
    (f"https://www.youtu.be/{YT}", "www on youtu.be"),
    (f"https://youtube.com./watch?v={YT}", "trailing dot"),
    ("https://vimeo.com.evil.example/76979871", "vimeo host suffix"),
    ("https://dailymotion.com/video/x7tgad0", "other provider"),
    # userinfo and ports
    (f"https://youtube.com@evil.example/watch?v={YT}", "userinfo host trick"),
    (f"https://user:pass@www.youtube.com/watch?v={YT}", "credentials"),
    ("https://vimeo.com@evil.example/76979871", "vimeo userinfo"),
    (f"https://www.youtube.com:8080/watch?v={YT}", "port"),
    (f"https://www.youtube.com:443/watch?v={YT}", "default port"),
    (f"https://youtube.com\\@evil.example/watch?v={YT}", "backslash trick"),
    (f"https://www.you\ttube.com/watch?v={YT}", "tab in host"),
    # missing or malformed YouTube ids
    ("https://www.youtube.com/watch", "watch without v"),
    ("https://www.youtube.com/watch?v=", "empty v"),
    (f"https://www.youtube.com/watch?v={YT}&v=abcdefghijk", "two ids"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXc", "id too short"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", "id too long"),
    ("https://www.youtube.com/watch?v=dQw4w9WgX.Q", "dot in id"),
    ("https://www.youtube.com/watch?v=dQw4w9WgX%51", "percent-encoded id"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcé", "non-ASCII id"),
    (f"https://www.youtube.com/?v={YT}", "v without /watch"),
    (f"https://www.youtube.com/watch/{YT}", "id as a watch path segment"),
    (f"https://www.youtube.com/v/{YT}", "old /v/ form"),
    (f"https://www.youtube.com/{YT}", "bare id path"),
    ("https://www.youtube.com/", "home page"),
    ("https://www.youtube.com/@somechannel", "channel"),
    ("https://www.youtube.com/playlist?list=PL1234567890", "playlist"),
    ("https://www.youtube.com/embed/videoseries?list=PL1234567890", "playlist embed"),
    ("https://www.youtube.com/shorts/", "shorts without id"),
    ("https://www.youtube.com/embed/dQw4w9WgXc", "embed id too short"),
    (f"https://www.youtube.com/shorts/{YT}/extra", "extra segment after shorts id"),
    (f"https://www.youtube.com/embed/{YT}/extra", "extra segment after embed id"),
    (f"https://www.youtube.com/live/{YT}/x", "extra segment after live id"),
    (f"https://www.youtube.com/extra/shorts/{YT}", "extra segment before"),
    (f"https://www.youtube.com//shorts/{YT}", "empty segment"),
    (f"https://youtu.be/{YT}/extra", "extra segment on youtu.be"),
    ("https://youtu.be/", "youtu.be without id"),
    ("https://youtu.be/dQw4w9WgXcQQ", "youtu.be id too long"),
    (f"https://www.youtube-nocookie.com/watch?v={YT}", "nocookie host without embed"),
    (f"https://www.youtube-nocookie.com/embed/{YT}/x", "nocookie extra segment"),
    # missing or malformed Vimeo ids
    ("https://vimeo.com/", "vimeo home"),
    ("https://vimeo.com/channels/staffpicks", "vimeo channel"),
    ("https://vimeo.com/staff", "vimeo user"),
    ("https://vimeo.com/76979871/abcdef1234", "vimeo unlisted hash"),
    ("https://vimeo.com/7697987a", "letters in vimeo id"),
    ("https://vimeo.com/0076979871", "leading zeros"),
    ("https://vimeo.com/-76979871", "negative"),
    ("https://vimeo.com/７６９７９８７１", "non-ASCII digits"),
    ("https://vimeo.com/12345678901234567890123", "absurdly long vimeo id"),
    ("https://player.vimeo.com/76979871", "player without /video"),
    ("https://player.vimeo.com/video/", "player without id"),
    ("https://player.vimeo.com/video/76979871/x", "player extra segment"),
    ("https://player.vimeo.com/video/abc", "player non-numeric id"),
]


@pytest.mark.parametrize("url", VALID_YOUTUBE)
def test_youtube_link_forms_are_recognised(url: str) -> None:
    """Every accepted YouTube link yields the id and the canonical, embed and thumbnail URLs."""
    assert parse_video_url(url) == ParsedVideo(
        provider=VideoProvider.YOUTUBE,
        video_id=YT,
        url=f"https://www.youtube.com/watch?v={YT}",
        embed_url=f"https://www.youtube-nocookie.com/embed/{YT}",
        thumbnail_url=f"https://i.ytimg.com/vi/{YT}/hqdefault.jpg",
    )


@pytest.mark.parametrize("url", VALID_VIMEO)
def test_vimeo_link_forms_are_recognised(url: str) -> None:
    """Every accepted Vimeo link form yields the id, canonical and player URLs and no thumbnail."""
    assert parse_video_url(url) == ParsedVideo(
        provider=VideoProvider.VIMEO,
        video_id="76979871",
        url="https://vimeo.com/76979871",
        embed_url="https://player.vimeo.com/video/76979871",
        thumbnail_url=None,
    )


@pytest.mark.parametrize(
    "url", [f"https://youtu.be/{YT_ODD}", f"https://www.youtube.com/watch?v={YT_ODD}"]
)
def test_youtube_ids_keep_their_case_and_punctuation(url: str) -> None:
    """Ids are case-sensitive and may contain "-" and "_"; they are kept exactly."""
    assert parse_video_url(url).video_id == YT_ODD


@pytest.mark.parametrize(("url", "why"), INVALID, ids=[why for _, why in INVALID])
def test_other_links_are_bad_input_on_the_url_field(url: str, why: str) -> None:
    """Anything but an accepted YouTube or Vimeo video link is BAD_USER_INPUT on `url`."""
    with pytest.raises(BadUserInput) as caught:
        parse_video_url(url)

    error = caught.value
    assert error.code == "BAD_USER_INPUT"
    assert [f.field for f in error.fields] == ["url"]
    assert error.fields[0].message == error.message
    assert error.message.endswith(".")


def test_error_message_says_what_is_wrong_with_the_id() -> None:
    """A malformed YouTube id gets a message describing the id format, not a generic one."""
    with pytest.raises(BadUserInput, match="11 letters"):
        parse_video_url("https://youtu.be/short")


def test_error_message_names_the_supported_providers() -> None:
    """A link to another site is told which providers are supported."""
    with pytest.raises(BadUserInput, match="YouTube and Vimeo"):
        parse_video_url("https://dailymotion.com/video/x7tgad0")


def test_parsed_video_is_immutable() -> None:
    """A parsed video cannot be altered after the fact."""
    parsed = parse_video_url(f"https://youtu.be/{YT}")

    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.embed_url = "https://evil.example/"  # type: ignore[misc]
