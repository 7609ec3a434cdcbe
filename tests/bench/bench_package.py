"""Package build throughput: mixed renditions S3 → ZIP (stored) → S3 multipart, against a plain local ZIP.

    python -m tests.bench.bench_package [--size-mb 2048] [--data /tmp/bench-package]

Starts its own embedded servers in ``--data`` (deleted afterwards unless ``--keep``), creates released assets whose
renditions are real JPEGs (~8 MB, noise) and MP4s (~85 MB, lossless noise) adding up to ``--size-mb`` (≈ 40 % of the
bytes photos, 60 % video), prepares their tagged delivery copies, then times, in the same run:

* baselines, the same delivered files from local disk to a local file: ``zip -0`` (Info-ZIP storing, the same work
  as ours: the headline), Python ``zipfile`` ZIP_STORED (the headline when Info-ZIP is absent) and, for reference
  only, plain ``zip`` with its defaults (deflate: other work, slower on incompressible media);
* ceiling: a plain upload of that baseline ZIP to the same S3 server (what any build must at least spend);
* naive: download everything, zipfile locally, upload (what a non-streaming builder does);
* ours: ``workers.packages.build`` (the worker task's body) for one package holding all of them: large members'
  bodies copied inside the S3 server (UploadPartCopy), small ones streamed through.

Prints MB/s of each and the headline ratio ours / ``zip -0`` (target ≥ 0.8), then ours / naive and ours / plain
upload.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

MB = 1024 * 1024


def noise_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92)
    return out.getvalue()


def noise_mp4(scratch: Path) -> bytes:
    import imageio_ffmpeg

    target = scratch / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=1920x1080:rate=25:duration=1", "-vf", "noise=alls=40:allf=t", "-c:v", "libx264",
                    "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                    str(target)], check=True, timeout=600)
    data = target.read_bytes()
    target.unlink()
    return data


def seed(total_bytes: int, scratch: Path) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Released assets adding up to ``total_bytes``; returns (outlet user id, asset ids)."""
    from service.admin import service as admin
    from service.core.db import session_scope
    from service.core.storage import get_storage
    from service.db.asset import Asset, AssetKind, AssetStatus, Rendition, ReviewStatus
    from service.db.org import OrgKind, Role
    from service.db.portal import Collection, CollectionItem
    from service.db.submission import Submission

    photo, video = noise_jpeg(), noise_mp4(scratch)
    storage = get_storage()
    now = datetime.now(UTC)
    with session_scope() as session:
        tag = uuid.uuid4().hex[:8]
        school = admin.create_org(session, name=f"bench-school-{tag}", kind=OrgKind.school, region_code="370100")
        outlet_org = admin.create_org(session, name=f"bench-outlet-{tag}", kind=OrgKind.outlet)
        outlet = admin.create_user(session, username=f"bench-outlet-{tag}", role=Role.outlet, org=str(outlet_org.id))
        campaign = admin.create_campaign(session, year=now.year, name=f"bench-{tag}", theme="bench",
                                         week_start=now.date(), week_end=now.date() + timedelta(days=6),
                                         upload_opens_at=now - timedelta(days=1),
                                         upload_closes_at=now + timedelta(days=1))
        collection = Collection(title="bench", release_at=now - timedelta(minutes=1))
        session.add(collection)
        session.flush()
        ids: list[uuid.UUID] = []
        used = photo_bytes = video_bytes = 0
        while used < total_bytes:
            # Photos carry 40 % of the bytes, videos 60 %: add whichever is behind its share.
            is_video = video_bytes < 1.5 * photo_bytes
            data, mime, ext, name = ((video, "video/mp4", "mp4", "broadcast_1080p") if is_video
                                     else (photo, "image/jpeg", "jpg", "web"))
            asset_id = uuid.uuid4()
            key = f"derived/{asset_id}/{name}.{ext}"
            storage.put_bytes(key, data, mime)
            submission = Submission(campaign_id=campaign.id, org_id=school.id, title=f"基准测试 {len(ids)}",
                                    place="济南", credits="基准", theme_tags=[])
            session.add(submission)
            session.flush()
            session.add(Asset(id=asset_id, submission_id=submission.id, org_id=school.id, campaign_id=campaign.id,
                              kind=AssetKind.video if is_video else AssetKind.image, status=AssetStatus.ready,
                              original_key=key, original_filename=f"x.{ext}", size=len(data), mime=mime,
                              review_status=ReviewStatus.featured, caption="基准", credit="基准"))
            session.add(Rendition(asset_id=asset_id, name=name, key=key, mime=mime, size=len(data)))
            session.add(CollectionItem(collection_id=collection.id, asset_id=asset_id, position=len(ids)))
            ids.append(asset_id)
            used += len(data)
            video_bytes += len(data) if is_video else 0
            photo_bytes += 0 if is_video else len(data)
        return outlet.id, ids


def prepare_deliveries(ids: list[uuid.UUID]) -> tuple[float, int]:
    """Tag every rendition once (what happens when assets join a collection); returns (seconds, bytes)."""
    from service.core.db import session_scope
    from service.db.asset import Asset
    from workers.delivery.prepare import ensure_delivery

    started, size = time.perf_counter(), 0
    for asset_id in ids:
        with session_scope() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            delivered = ensure_delivery(session, asset_id, asset.renditions[0].name)
            size += delivered.size if delivered else 0
    return time.perf_counter() - started, size


def local_baselines(ids: list[uuid.UUID], scratch: Path) -> dict[str, float]:
    from sqlalchemy import select

    from service.core.db import session_scope
    from service.core.storage import get_storage
    from service.db.portal import DeliveryFile

    files = scratch / "files"
    files.mkdir()
    with session_scope() as session:
        keys = list(session.scalars(select(DeliveryFile.key).where(DeliveryFile.asset_id.in_(ids))))
    paths = []
    started = time.perf_counter()
    for i, key in enumerate(keys):
        path = files / f"{i:05d}_{Path(key).name}"
        get_storage().download(key, path)
        paths.append(path)
    results: dict[str, float] = {"download_s": time.perf_counter() - started}
    results["bytes"] = float(sum(p.stat().st_size for p in paths))
    started = time.perf_counter()
    with zipfile.ZipFile(scratch / "baseline.zip", "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in paths:
            archive.write(path, path.name)
    results["zipfile_s"] = time.perf_counter() - started
    # The S3 server's write speed bounds any package build: time a plain upload of the same ZIP (minio multipart).
    started = time.perf_counter()
    get_storage().put_file("bench/baseline.zip", scratch / "baseline.zip", "application/zip")
    results["upload_s"] = time.perf_counter() - started
    get_storage().delete("bench/baseline.zip")
    (scratch / "baseline.zip").unlink()
    if shutil.which("zip"):
        for label, options in (("zip_default_s", []), ("zip_s", ["-0"])):
            started = time.perf_counter()
            subprocess.run(["zip", *options, "-q", "-j", str(scratch / "baseline2.zip"), *map(str, paths)], check=True)
            results[label] = time.perf_counter() - started
            (scratch / "baseline2.zip").unlink()
    shutil.rmtree(files)
    return results


def build_package(outlet_id: uuid.UUID, ids: list[uuid.UUID]) -> tuple[float, int, int]:
    from service.core.db import session_scope
    from service.db.asset import Asset
    from service.db.org import User
    from service.db.portal import Package, PackageStatus
    from workers.packages import build

    with session_scope() as session:
        user = session.get(User, outlet_id)
        assert user is not None
        items = [{"asset_id": str(i), "rendition": session.get(Asset, i).renditions[0].name}  # type: ignore[union-attr]
                 for i in ids]
        package = Package(user_id=user.id, org_id=user.org_id, rendition="original", items=items,
                          status=PackageStatus.queued, total_items=len(items),
                          expires_at=datetime.now(UTC) + timedelta(hours=1))
        session.add(package)
        session.flush()
        package_id = package.id
    from workers.delivery import zipstream

    copied = {"bytes": 0}
    original_close = zipstream.PackageWriter.close

    def counting_close(writer: zipstream.PackageWriter) -> None:  # how much the server copied: reported, not timed
        copied["bytes"] = writer.copied
        original_close(writer)

    zipstream.PackageWriter.close = counting_close  # type: ignore[method-assign]
    started = time.perf_counter()
    build(package_id)
    elapsed = time.perf_counter() - started
    zipstream.PackageWriter.close = original_close  # type: ignore[method-assign]
    with session_scope() as session:
        done = session.get(Package, package_id)
        assert done is not None
        assert done.status == PackageStatus.ready, done.error
        return elapsed, int(done.size or 0), copied["bytes"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-package"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    from service.core.embedded import EmbeddedServers

    root = args.data.resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    stack = EmbeddedServers(root / "servers")
    stack.start()
    try:
        os.environ.update(stack.environment())
        os.environ.update({"MEDIADESK_ENV": "test", "MEDIADESK_WORKER_TMP_DIR": str(root / "tmp")})
        from service.core.storage import get_storage
        from service.db.migrate import upgrade

        upgrade(stack.postgres.url)
        get_storage().ensure_bucket()
        outlet, ids = seed(args.size_mb * MB, root)
        tag_s, tagged = prepare_deliveries(ids)
        base = local_baselines(ids, root)
        ours_s, zip_size, copied = build_package(outlet, ids)
        mb = base["bytes"] / MB
        zipfile_rate, ours_rate = mb / base["zipfile_s"], mb / ours_s
        lines = [f"files: {len(ids)}, {mb:.0f} MB of delivered renditions; "
                 f"tagging them once (IPTC/XMP, MP4 tags): {tagged / MB / tag_s:.0f} MB/s",
                 f"baseline zipfile ZIP_STORED local→local: {zipfile_rate:.0f} MB/s ({base['zipfile_s']:.1f} s)"]
        if "zip_s" in base:
            lines.append(f"baseline plain zip (deflate) local→local: {mb / base['zip_default_s']:.0f} MB/s "
                         f"({base['zip_default_s']:.1f} s)")
            lines.append(f"baseline /usr/bin/zip -0 local→local:     {mb / base['zip_s']:.0f} MB/s "
                         f"({base['zip_s']:.1f} s)")
        naive_s = base["download_s"] + base["zipfile_s"] + base["upload_s"]
        lines += [f"plain S3 upload of that ZIP (ceiling):    {mb / base['upload_s']:.0f} MB/s "
                  f"({base['upload_s']:.1f} s)",
                  f"naive S3→disk, zipfile, disk→S3:         {mb / naive_s:.0f} MB/s ({naive_s:.1f} s)",
                  f"package build S3→ZIP→S3 multipart:        {ours_rate:.0f} MB/s ({ours_s:.1f} s, "
                  f"zip {zip_size / MB:.0f} MB, {copied / MB:.0f} MB of it copied inside S3)"]
        if "zip_s" in base:  # the headline: the same work (storing), not deflating
            lines += [f"HEADLINE ratio package / zip -0 (same work, stored): {base['zip_s'] / ours_s:.2f} "
                      "(target ≥ 0.8)",
                      f"for reference, package / plain zip (deflate, other work): "
                      f"{base['zip_default_s'] / ours_s:.2f}"]
        else:
            lines.append(f"HEADLINE ratio package / zipfile ZIP_STORED (no Info-ZIP here): "
                         f"{ours_rate / zipfile_rate:.2f} (target ≥ 0.8)")
        lines += [f"ratio package / zipfile ZIP_STORED local: {ours_rate / zipfile_rate:.2f}",
                  f"ratio package / naive S3 round trip: {naive_s / ours_s:.2f}; "
                  f"package / plain S3 upload: {base['upload_s'] / ours_s:.2f}"]
        sys.stdout.write("\n".join(lines) + "\n")
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
