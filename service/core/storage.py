"""Object storage through the ``minio`` SDK, the only S3 code path (SeaweedFS embedded, MinIO in production).

``minio`` 7.2 keeps the multipart primitives private; this module is the one adapter over them, so a future SDK
change touches one file. Tests exercise it against the real S3 server.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

from service.core.config import Settings, get_settings
from service.core.filenames import sanitize_filename


@dataclass(frozen=True)
class UploadedPart:
    number: int
    etag: str
    size: int


class Storage:
    """A bucket and the operations mediadesk needs on it."""

    def __init__(self, settings: Settings) -> None:
        settings.require_servers()
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=120),
            maxsize=32,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        )
        self.bucket = settings.s3_bucket
        self.client = Minio(
            settings.s3_endpoint or "",
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=http,
        )
        public = settings.s3_public_endpoint
        self._presigner = (
            Minio(public, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
                  secure=settings.s3_secure, region=settings.s3_region)
            if public
            else self.client
        )

    # bucket ---------------------------------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:  # another process created it meanwhile
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def ping(self) -> None:
        self.client.bucket_exists(self.bucket)

    # objects --------------------------------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> int:
        self.client.fput_object(self.bucket, key, str(path), content_type=content_type)
        return path.stat().st_size

    def get_bytes(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def download(self, key: str, path: Path) -> None:
        self.client.fget_object(self.bucket, key, str(path))

    def iter_object(self, key: str, chunk_size: int = 1024 * 1024, offset: int = 0,
                    length: int = 0) -> Iterator[bytes]:
        response = self.client.get_object(self.bucket, key, offset=offset, length=length)
        try:
            yield from response.stream(chunk_size)
        finally:
            response.close()
            response.release_conn()

    def open_range(self, key: str, offset: int, length: int) -> bytes:
        response = self.client.get_object(self.bucket, key, offset=offset, length=length)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stat_size(self, key: str) -> int | None:
        try:
            return int(self.client.stat_object(self.bucket, key).size or 0)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self.stat_size(key) is not None

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if obj.object_name:
                self.client.remove_object(self.bucket, obj.object_name)
                count += 1
        return count

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
                      if o.object_name)

    def presigned_get(self, key: str, *, ttl_seconds: int, filename: str | None = None,
                      content_type: str | None = None) -> str:
        params: dict[str, str | list[str] | tuple[str]] = {}
        if filename:
            params["response-content-disposition"] = content_disposition(filename)
        if content_type:
            params["response-content-type"] = content_type
        return self._presigner.presigned_get_object(
            self.bucket, key, expires=timedelta(seconds=ttl_seconds), response_headers=params or None
        )

    # multipart ------------------------------------------------------------------------------------------------
    def create_multipart(self, key: str, content_type: str = "application/octet-stream") -> str:
        return self.client._create_multipart_upload(self.bucket, key, {"Content-Type": content_type})

    def upload_part(self, key: str, upload_id: str, number: int, data: bytes | BinaryIO, size: int) -> UploadedPart:
        payload = data if isinstance(data, bytes) else data.read(size)
        etag = self.client._upload_part(self.bucket, key, payload, None, upload_id, number)
        return UploadedPart(number=number, etag=etag, size=size)

    def copy_part(self, key: str, upload_id: str, number: int, source: str, start: int, end: int) -> UploadedPart:
        """Part ``number`` made by the server from bytes ``[start, end)`` of object ``source`` (UploadPartCopy)."""
        headers: dict[str, str | list[str] | tuple[str]] = {"x-amz-copy-source": quote(f"/{self.bucket}/{source}"),
                                                            "x-amz-copy-source-range": f"bytes={start}-{end - 1}"}
        etag, _ = self.client._upload_part_copy(self.bucket, key, upload_id, number, headers)
        return UploadedPart(number=number, etag=etag, size=end - start)

    def complete_multipart(self, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
        self.client._complete_multipart_upload(
            self.bucket, key, upload_id, [Part(p.number, p.etag) for p in sorted(parts, key=lambda p: p.number)]
        )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client._abort_multipart_upload(self.bucket, key, upload_id)
        except S3Error as exc:
            if exc.code not in ("NoSuchUpload", "NoSuchKey"):
                raise


def content_disposition(filename: str) -> str:
    """RFC 6266: ``attachment`` with an ASCII ``filename`` fallback and the UTF-8 ``filename*`` (RFC 8187), both of
    one path component only (``../../etc/passwd`` is ``passwd``), without control or reserved characters."""
    from urllib.parse import quote

    name = sanitize_filename(filename)
    ascii_name = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\;' else "_" for ch in name).strip(" ._")
    return f"attachment; filename=\"{ascii_name or 'download'}\"; filename*=UTF-8''{quote(name, safe='')}"


@lru_cache(maxsize=1)
def get_storage() -> Storage:
    return Storage(get_settings())
