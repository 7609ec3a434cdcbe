"""What a delivered file says about itself: caption, credit, date, place, copyright (shared by API and workers)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date

from service.core.exif import beijing_day
from service.core.text import clean_text
from service.db.asset import Asset
from service.db.org import Organization
from service.db.submission import Submission


@dataclass(frozen=True)
class Credits:
    headline: str
    caption: str
    credit: str
    byline: str
    date: date | None
    place: str
    region_code: str | None
    organization: str
    copyright: str
    keywords: tuple[str, ...]

    def digest(self) -> str:
        """Fingerprint of what gets written into the file: a changed caption means a new delivered copy."""
        # "privacy" names the camera-metadata policy of workers/delivery/privacy.py: bumping it rebuilds cached copies.
        payload = {**asdict(self), "date": self.date.isoformat() if self.date else None, "privacy": "strip-v1"}
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def credits_for(asset: Asset, submission: Submission, org: Organization, *, copyright_notice: str) -> Credits:
    """The file's own headline and caption (submitter's, approved or fixed by editors) win; the submission's metadata
    fills the rest. Every text goes through the one cleaning rule again, so that rows stored before it existed cannot
    carry control characters into IPTC, XMP or CSV."""
    when = submission.activity_date or (beijing_day(asset.capture_time) if asset.capture_time else None)
    return Credits(
        headline=clean_text(asset.headline or submission.title, multiline=False),
        caption=clean_text(asset.caption or submission.description or submission.title),
        credit=clean_text(asset.credit or submission.credits or org.name, multiline=False),
        byline=clean_text(submission.credits or org.name, multiline=False),
        date=when,
        place=clean_text(submission.place, multiline=False),
        region_code=submission.region_code or org.region_code,
        organization=clean_text(org.name, multiline=False),
        copyright=clean_text(copyright_notice, multiline=False),
        keywords=tuple(clean_text(tag, multiline=False) for tag in submission.theme_tags or ()),
    )


#: Delivered files are named by content type, never by the uploader's file name.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "image/heif": "heif", "image/tiff": "tif", "video/mp4": "mp4", "video/quicktime": "mov",
              "video/x-matroska": "mkv", "video/webm": "webm"}


def extension_for(mime: str | None) -> str:
    return EXTENSIONS.get((mime or "").lower(), "bin")


LOCATION_SUFFIX = "+location"


def cache_name(rendition: str, keep_location: bool) -> str:
    """The delivered copy's name: a copy that keeps GPS (a release that shows the place) is cached apart."""
    return f"{rendition}{LOCATION_SUFFIX}" if keep_location else rendition


def delivery_key(asset_id: object, rendition: str, mime: str | None) -> str:
    return f"delivery/{asset_id}/{rendition}.{extension_for(mime)}"


_FORBIDDEN = set('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


def safe_name_part(text: str, limit: int = 40) -> str:
    """A file-name fragment with no path separators, control or reserved characters, dots or leading dashes."""
    cleaned = "".join("_" if ch in _FORBIDDEN else ch for ch in text).replace("..", "_").strip(" ._-")
    return cleaned[:limit].strip(" ._-") or "asset"


def delivery_filename(asset_id: object, credits: Credits, rendition: str, mime: str | None) -> str:
    """``2023-05-15_开放校园_1a2b3c4d_web.jpg``: date, headline, short id (unique), rendition."""
    day = credits.date.isoformat() if credits.date else "undated"
    return (f"{day}_{safe_name_part(credits.headline)}_{str(asset_id)[:8]}_{safe_name_part(rendition, 40)}."
            f"{extension_for(mime)}")
