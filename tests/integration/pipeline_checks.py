"""What the pipeline tests look at: rendition files as a user downloads them, and the S3 keys of an asset."""

from __future__ import annotations

import io
import uuid

import av
from PIL import Image

from service.core.storage import get_storage
from tests.support import wait_until

IMAGE_RENDITIONS = {"thumb", "thumb_webp", "preview", "preview_webp", "web", "web_webp"}
VIDEO_RENDITIONS = {"proxy_720p", "hls", "poster", "sprite", "sprite_vtt", "sprite_json"}
TERMINAL = {"ready", "rejected_invalid", "failed"}


def asset_row(asset_id: uuid.UUID) -> dict[str, object]:
    from service.core.db import session_scope
    from service.db.asset import Asset

    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return {"status": asset.status.value, "reason_code": asset.reason_code, "reason": asset.reason_detail,
                "renditions": {r.name: r for r in asset.renditions}, "width": asset.width, "height": asset.height,
                "probe": asset.probe, "kind": asset.kind.value if asset.kind else None, "gps": asset.gps_lat}


def wait_terminal(asset_ids: list[uuid.UUID], timeout: float = 300) -> dict[uuid.UUID, dict[str, object]]:
    def done() -> dict[uuid.UUID, dict[str, object]] | None:
        rows = {asset_id: asset_row(asset_id) for asset_id in asset_ids}
        return rows if all(row["status"] in TERMINAL for row in rows.values()) else None

    return wait_until(done, timeout, 1.0, f"{len(asset_ids)} assets to finish processing")  # type: ignore[no-any-return]


def derived_keys(asset_id: uuid.UUID) -> list[str]:
    return get_storage().list_keys(f"derived/{asset_id}/")


def image_of(key: str) -> Image.Image:
    image = Image.open(io.BytesIO(get_storage().get_bytes(key)))
    image.load()
    return image


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 170 and pixel[1] < 90 and pixel[2] < 90


def video_facts(key: str) -> dict[str, object]:
    data = get_storage().get_bytes(key)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        audio = container.streams.audio
        return {"width": stream.codec_context.width, "height": stream.codec_context.height,
                "rotation": int(frame.rotation or 0), "codec": stream.codec_context.name,
                "audio": audio[0].codec_context.name if audio else None,
                "faststart": data.find(b"moov") < data.find(b"mdat")}
