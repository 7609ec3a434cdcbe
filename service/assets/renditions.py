"""Renditions of an asset through the API: lookup by name, HLS files, streaming from S3."""

from __future__ import annotations

from collections.abc import Iterator

from service.core.errors import Problem, not_found
from service.core.storage import get_storage
from service.db.asset import Asset, Rendition


def find(asset: Asset, name: str) -> Rendition:
    rendition = next((r for r in asset.renditions if r.name == name), None)
    if rendition is None:
        raise Problem(404, "rendition_not_found", f"该素材没有名为「{name}」的衍生文件（可能仍在处理中）",
                      f"the asset has no rendition named {name!r} (it may still be processing)")
    return rendition


def hls_object_key(asset: Asset, filename: str) -> str:
    """Key of one file of the asset's HLS folder; the name is checked so it cannot leave that folder."""
    hls = find(asset, "hls")
    if "/" in filename or filename.startswith(".") or not filename.endswith((".m3u8", ".ts")):
        raise not_found("HLS file")
    return hls.key.rsplit("/", 1)[0] + "/" + filename


def stream(key: str) -> Iterator[bytes]:
    yield from get_storage().iter_object(key)
