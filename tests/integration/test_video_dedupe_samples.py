"""A video's duplicate-check samples come from ``derive``'s one decode (issue 15.2): the hashes ``derive`` stores
next to the keyframes index are those ``dedupe`` would compute by decoding the proxy (same sample times, hashes a
few bits apart: the proxy is the same picture after x264), and ``dedupe`` uses them: it clusters a cut with its
original with neither's video left in storage."""

from __future__ import annotations

import statistics
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from models.video import sample_frames
from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Role
from service.db.screening import AssetHash, AssetScreening
from tests import media_samples as media
from tests.support import make_actor, make_campaign, make_probed_asset, make_submission
from workers.renditions import rendition_key
from workers.steps.dedupe import VIDEO_QUERY_STEP, dedupe_asset, stored_video_hashes, video_hashes
from workers.steps.derive import derive
from workers.steps.frames import hashes_key

#: Measured on this clip (testsrc2, 1280x720 at 29.97 fps): the stored hashes of derive's samples and of the proxy's
#: are at most 6 bits apart (median 2), the query hashes at most 8 (median 2); PDQ's match distance is 31.
MAX_BITS = 12
MEDIAN_BITS = 4


def _distance(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def _derived_video(path: Path, *, seconds: float) -> uuid.UUID:
    campaign = make_campaign()
    actor = make_actor(Role.submitter)
    asset_id = make_probed_asset(actor, campaign, make_submission(actor, campaign), path.read_bytes(),
                                 filename=path.name, kind="video", mime="video/mp4", width=1280, height=720,
                                 duration=seconds)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.probe = {"ffmpeg_format": "mov", "frame_rate": 29.97, "audio": False}
        job = Job(asset_id=asset_id, step="derive", status=JobStatus.running)
        session.add(job)
        session.flush()
        derive(session, asset, job)
    return asset_id


def _dedupe(asset_id: uuid.UUID) -> dict[uuid.UUID, int]:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return dedupe_asset(session, asset)


def _cluster(asset_id: uuid.UUID) -> uuid.UUID | None:
    with session_scope() as session:
        return session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == asset_id))


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "recording.mp4"
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30000/1001", "-t", "6", "-c:v", "libx264",
                 "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def test_derive_stores_the_hashes_dedupe_would_compute_from_the_proxy(servers: object, recording: Path,
                                                                      tmp_path: Path) -> None:
    asset_id = _derived_video(recording, seconds=6.0)
    found = stored_video_hashes(asset_id)
    assert found is not None
    stored, queries = found
    proxy = tmp_path / "proxy.mp4"
    get_storage().download(rendition_key(asset_id, "proxy_720p", "mp4"), proxy)
    expected_stored, expected_queries = video_hashes(sample_frames(proxy, every=VIDEO_QUERY_STEP))
    assert len(queries) == 60  # ten samples a second of six seconds
    assert [t for t, _ in queries] == pytest.approx([t for t, _ in expected_queries], abs=1e-3)
    assert [(v, t) for v, t, _, _ in stored] == [(v, pytest.approx(t, abs=1e-3)) for v, t, _, _ in expected_stored]
    distances = [_distance(a[2], b[2]) for a, b in zip(stored, expected_stored, strict=True)]
    distances += [_distance(a, b) for (_, ours), (_, theirs) in zip(queries, expected_queries, strict=True)
                  for a, b in zip(ours, theirs, strict=True)]
    assert max(distances) <= MAX_BITS
    assert statistics.median(distances) <= MEDIAN_BITS


def test_dedupe_uses_the_stored_hashes_without_the_video(servers: object, recording: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"  # cut 1.37 s in (between samples) and re-encoded, as people copy a clip
    media.ffmpeg("-ss", "1.37", "-i", str(recording), "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
                 "-crf", "30", str(cut))
    original, copy = _derived_video(recording, seconds=6.0), _derived_video(cut, seconds=3.0)
    storage = get_storage()
    for asset_id in (original, copy):  # nothing left to decode: dedupe can only read what derive stored
        with session_scope() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            storage.delete(asset.original_key)
        storage.delete(rendition_key(asset_id, "proxy_720p", "mp4"))
        assert storage.stat_size(hashes_key(asset_id)) is not None
    assert copy not in _dedupe(original)  # the copy has no hashes yet (other tests' clips may match: one database)
    assert original in _dedupe(copy)
    assert _cluster(copy) == _cluster(original) is not None
    with session_scope() as session:
        rows = session.scalars(select(AssetHash).where(AssetHash.asset_id == original)).all()
    found = stored_video_hashes(original)
    assert found is not None
    assert sorted((r.variant, r.position, r.pdq) for r in rows) == sorted((v, t, b) for v, t, b, _ in found[0])
