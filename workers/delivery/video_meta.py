"""Write title, caption, credit, date, place and copyright into an MP4/MOV container (streams copied, not encoded).

ffmpeg reads only the local temp file we downloaded (``-protocol_whitelist file``, input format forced), and no user
text reaches a shell: arguments are passed as a list.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from service.db.credits import Credits
from workers.ffmpeg import ffmpeg_binary

#: mime -> (ffmpeg demuxer, ffmpeg muxer)
CONTAINERS = {"video/mp4": ("mov", "mp4"), "video/quicktime": ("mov", "mov")}
TIMEOUT_SECONDS = 600


class MetadataWriteFailed(RuntimeError):
    pass


def _clean(text: str) -> str:
    # Container tags are single strings; NULs would truncate them and newlines are kept (MP4 allows them).
    return text.replace("\x00", "")


def metadata_args(credits: Credits) -> list[str]:
    tags = {
        "title": credits.headline,
        "description": credits.caption,
        # iTunes-style atoms (©cmt) are what newsroom tools read; put the place and credit there too.
        "comment": " / ".join(p for p in (credits.caption, credits.place, credits.credit) if p),
        "artist": credits.credit,
        "author": credits.byline,
        "copyright": credits.copyright,
        "date": credits.date.isoformat() if credits.date else "",
        "album": credits.organization,
        "genre": ",".join(credits.keywords),
    }
    args: list[str] = []
    for key, value in tags.items():
        if value:
            args += ["-metadata", f"{key}={_clean(value)}"]
    return args


def write_video_metadata(src: Path, dst: Path, credits: Credits, mime: str) -> None:
    demuxer, muxer = CONTAINERS[mime]
    command = [
        ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-protocol_whitelist", "file", "-f", demuxer, "-i", str(src),
        "-map", "0", "-c", "copy", "-map_metadata", "-1", *metadata_args(credits),  # camera tags (location, make) go
        "-movflags", "+faststart", "-f", muxer, str(dst),
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MetadataWriteFailed(f"ffmpeg timed out after {TIMEOUT_SECONDS}s") from exc
    if result.returncode != 0:
        raise MetadataWriteFailed(f"ffmpeg exited {result.returncode}: {result.stderr.decode(errors='replace')[-500:]}")
