"""Turning a pasted YouTube or Vimeo link into the provider, the video id and the
URLs we store (see "Video URLs" in the API contract).

Only the link forms the contract lists are accepted, each checked part by part
(scheme, exact host, path segments, id format) with `urllib.parse`. Anything we do
not recognise is refused rather than guessed at: the embed URL we derive ends up in
an iframe on every reader's page, so a link that merely mentions youtube.com
(`https://youtube.com@evil.example/`, `https://youtube.com.evil.example/`) must not
slip through.

Videos are always embedded through the privacy-enhanced players
(youtube-nocookie.com; Vimeo's player), whatever form was pasted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, parse_qs, urlsplit

from cms.errors import BadUserInput
from cms.videos.models import VideoProvider

__all__ = ["ParsedVideo", "parse_video_url"]


@dataclass(frozen=True, slots=True)
class ParsedVideo:
    """A recognised video: who hosts it, its id there, and the URLs we store."""

    provider: VideoProvider
    video_id: str
    url: str  # canonical watch URL
    embed_url: str  # privacy-enhanced player
    thumbnail_url: str | None  # None where finding it needs a request to the provider


_MAX_URL_LENGTH: Final = 2048
_SCHEMES: Final = frozenset({"http", "https"})

_YOUTUBE_HOSTS: Final = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_YOUTUBE_SHORT_HOST: Final = "youtu.be"
_YOUTUBE_NOCOOKIE_HOSTS: Final = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_VIMEO_HOSTS: Final = frozenset({"vimeo.com", "www.vimeo.com"})
_VIMEO_PLAYER_HOST: Final = "player.vimeo.com"

# youtube.com/{kind}/{id}: the path forms that name one video.
_YOUTUBE_PATH_KINDS: Final = frozenset({"shorts", "embed", "live"})
_YOUTUBE_ID: Final = re.compile(r"[A-Za-z0-9_-]{11}")
# "/embed/videoseries?list=…" embeds a playlist; the word happens to be 11 characters.
_YOUTUBE_NOT_IDS: Final = frozenset({"videoseries"})
# Digits, no leading zero (so each video has one canonical URL), within a 64-bit id.
_VIMEO_ID: Final = re.compile(r"[1-9][0-9]{0,18}")

_NOT_A_VIDEO_LINK: Final = "Enter a YouTube or Vimeo video link."


def parse_video_url(url: str) -> ParsedVideo:
    """Recognise a YouTube or Vimeo video link.

    Raises `BadUserInput` on the `url` field for anything else, or for a link whose
    video id is malformed.
    """
    parts = _split(url)
    host = parts.netloc.lower()
    segments = _path_segments(parts.path)

    if host in _YOUTUBE_HOSTS:
        return _youtube(_youtube_id_from_site(segments, parts.query))
    if host == _YOUTUBE_SHORT_HOST:
        return _youtube(_single(segments, "YouTube"))
    if host in _YOUTUBE_NOCOOKIE_HOSTS:
        if len(segments) == 2 and segments[0] == "embed":
            return _youtube(segments[1])
        raise _error("This YouTube link does not point at a video.")
    if host in _VIMEO_HOSTS:
        return _vimeo(_single(segments, "Vimeo"))
    if host == _VIMEO_PLAYER_HOST:
        if len(segments) == 2 and segments[0] == "video":
            return _vimeo(segments[1])
        raise _error("This Vimeo link does not point at a video.")
    raise _error(f"Only YouTube and Vimeo videos can be embedded. {_NOT_A_VIDEO_LINK}")


def _split(url: str) -> SplitResult:
    """Split `url`, refusing what is not a plain absolute http(s) URL on a bare host."""
    url = url.strip()
    if not url or len(url) > _MAX_URL_LENGTH:
        raise _error(_NOT_A_VIDEO_LINK)
    # Browsers read "\" as "/", and urlsplit quietly drops tabs and newlines; a link
    # that needs either is not one an editor copied from an address bar.
    if "\\" in url or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _error("The link contains spaces or characters a web address cannot have.")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. a malformed IPv6 host
        raise _error(_NOT_A_VIDEO_LINK) from exc
    if parts.scheme not in _SCHEMES or not parts.netloc:
        raise _error(f"The link must start with https://. {_NOT_A_VIDEO_LINK}")
    # "https://youtube.com@evil.example/" is a link to evil.example; a port means a
    # server that is not the provider's public site.
    if "@" in parts.netloc or ":" in parts.netloc:
        raise _error("The link must not contain a user name, password or port.")
    return parts


def _path_segments(path: str) -> list[str]:
    """The path's segments, forgiving one trailing slash ("youtu.be/ID/")."""
    if path.endswith("/"):
        path = path[:-1]
    return path.split("/")[1:] if path else []


def _single(segments: list[str], provider: str) -> str:
    """The one segment of a "host/{id}" link."""
    if len(segments) != 1 or not segments[0]:
        raise _error(f"This {provider} link does not point at a video.")
    return segments[0]


def _youtube_id_from_site(segments: list[str], query: str) -> str:
    """The id in a youtube.com link: "/watch?v={id}" or "/{shorts,embed,live}/{id}"."""
    if segments == ["watch"]:
        ids = parse_qs(query, keep_blank_values=True).get("v", [])
        if len(ids) != 1:
            raise _error("This YouTube link does not name a video (it needs one ?v=).")
        return ids[0]
    if len(segments) == 2 and segments[0] in _YOUTUBE_PATH_KINDS:
        return segments[1]
    raise _error("This YouTube link does not point at a video.")


def _youtube(video_id: str) -> ParsedVideo:
    if not _YOUTUBE_ID.fullmatch(video_id) or video_id in _YOUTUBE_NOT_IDS:
        raise _error("A YouTube video id is 11 letters, digits, '-' or '_'.")
    return ParsedVideo(
        provider=VideoProvider.YOUTUBE,
        video_id=video_id,
        url=f"https://www.youtube.com/watch?v={video_id}",
        embed_url=f"https://www.youtube-nocookie.com/embed/{video_id}",
        thumbnail_url=f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
    )


def _vimeo(video_id: str) -> ParsedVideo:
    if not _VIMEO_ID.fullmatch(video_id):
        raise _error("A Vimeo video id is a number.")
    return ParsedVideo(
        provider=VideoProvider.VIMEO,
        video_id=video_id,
        url=f"https://vimeo.com/{video_id}",
        embed_url=f"https://player.vimeo.com/video/{video_id}",
        # Vimeo's thumbnails have opaque URLs, found only through its oEmbed API.
        thumbnail_url=None,
    )


def _error(message: str) -> BadUserInput:
    return BadUserInput.for_field("url", message)
