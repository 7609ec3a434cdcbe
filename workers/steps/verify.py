"""``verify``: the first pipeline step. Streams the stored original once to check what the API could not.

A running sha256 cannot follow a tus upload across API replicas, so the whole-file hash, the size and the magic
bytes are checked here. Until this step succeeds the asset stays ``uploading``; the engine then moves it to
``stored``. Exact duplicates in the same campaign are linked (``exact_of``), never dropped.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from service.core.storage import get_storage
from service.db.asset import Asset, AssetKind, AssetStatus, Job
from workers.pipeline import Rejected, register
from workers.sniff import HEAD_BYTES as SNIFF_BYTES
from workers.sniff import sniff_head

CHUNK = 1024 * 1024


@register("verify", soft_time_limit=1800, time_limit=1900)
def verify(session: Session, asset: Asset, job: Job) -> None:
    storage = get_storage()
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    for chunk in storage.iter_object(asset.original_key, CHUNK):
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
    sha256 = digest.hexdigest()
    if size != asset.size:
        raise Rejected("size_mismatch", f"存储的文件大小（{size} 字节）与上传声明的大小（{asset.size} 字节）不一致",
                       f"the stored file has {size} bytes, the upload declared {asset.size}")
    if asset.declared_sha256 and asset.declared_sha256 != sha256:
        # The bytes are not what the client meant to send: keep nothing that could be mistaken for the original.
        storage.delete(asset.original_key)
        raise Rejected("checksum_mismatch", "文件校验和（sha256）与客户端声明的不一致，文件已损坏，请重新上传",
                       "the file's sha256 does not match the one the client declared; it was damaged, upload it again")
    found = sniff_head(bytes(head))  # the same table and reason codes as probe (service.core.media_types)
    asset.sha256, asset.mime, asset.kind = sha256, found.mime, AssetKind(found.kind)
    asset.exact_of = session.scalar(
        select(Asset.id).where(
            Asset.campaign_id == asset.campaign_id, Asset.sha256 == sha256, Asset.id != asset.id,
            Asset.status != AssetStatus.rejected_invalid,
            # strictly earlier (ties broken by id), so that two simultaneous copies never point at each other
            tuple_(Asset.created_at, Asset.id) < tuple_(asset.created_at, asset.id),
        ).order_by(Asset.created_at, Asset.id).limit(1)
    )
