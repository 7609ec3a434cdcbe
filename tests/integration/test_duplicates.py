"""Duplicate screening as people really copy photos and videos, through the shipped ``dedupe`` step against the real
PostgreSQL and S3: mirrored, turned without EXIF, cropped off-centre, inside a phone screenshot, with a white border
and re-shot copies join the original's cluster; a burst shot of the same scene and a different photo do not (the
burst is offered as a similar shot instead); a clip cut at a non-aligned point from a longer panning video, and a
mirrored copy of it, join the original."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.org import Role
from service.db.screening import AssetHash, AssetScreening, SimilarShot
from tests.duplicate_media import (
    bordered,
    figure,
    mirrored,
    off_centre_crop,
    panning_video,
    reshot,
    scene,
    screenshot,
    turned,
)
from tests.screening_media import jpeg
from tests.support import Actor, make_actor, make_campaign, make_probed_asset, make_submission
from workers.steps.dedupe import dedupe_asset


def _dedupe(asset_id: uuid.UUID) -> None:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        dedupe_asset(session, asset)


def _cluster(asset_id: uuid.UUID) -> uuid.UUID | None:
    with session_scope() as session:
        return session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == asset_id))


def _photo(actor: Actor, campaign: uuid.UUID, submission: uuid.UUID, image: Image.Image) -> uuid.UUID:
    return make_probed_asset(actor, campaign, submission, jpeg(image, 85), width=image.width, height=image.height)


@pytest.fixture
def two_schools(servers: object) -> tuple[uuid.UUID, tuple[Actor, uuid.UUID], tuple[Actor, uuid.UUID]]:
    campaign = make_campaign()
    province, school = make_actor(Role.submitter), make_actor(Role.submitter)
    return (campaign, (province, make_submission(province, campaign)), (school, make_submission(school, campaign)))


def test_copies_people_make_join_the_original_and_others_do_not(
    two_schools: tuple[uuid.UUID, tuple[Actor, uuid.UUID], tuple[Actor, uuid.UUID]], client: TestClient
) -> None:
    campaign, (province, sub_p), (school, sub_s) = two_schools
    original_image = scene(3)
    original = _photo(province, campaign, sub_p, original_image)
    copies = {
        "mirrored": mirrored(original_image),
        "turned_without_exif": turned(original_image),
        "off_centre_crop": off_centre_crop(original_image),
        "screenshot_with_status_bar": screenshot(original_image),
        "white_border": bordered(original_image),
        "reshot_from_screen": reshot(original_image),
    }
    copy_ids = {name: _photo(school, campaign, sub_s, image) for name, image in copies.items()}
    burst = _photo(school, campaign, sub_s, figure(original_image, 600))
    different = _photo(school, campaign, sub_s, scene(4))
    shot_with_figure = _photo(province, campaign, sub_p, figure(original_image, 150))
    for asset_id in (original, *copy_ids.values(), shot_with_figure, burst, different):
        _dedupe(asset_id)

    cluster = _cluster(original)
    assert cluster is not None
    joined = {name: _cluster(asset_id) == cluster for name, asset_id in copy_ids.items()}
    assert joined == dict.fromkeys(copies, True)
    assert _cluster(different) is None
    # a burst of one moment: never merged into a duplicate cluster, offered as a similar shot instead
    assert _cluster(burst) != _cluster(shot_with_figure) or _cluster(burst) is None
    editor = make_actor(Role.editor)
    similar = client.get(f"/api/v1/assets/{burst}/similar", headers=editor.headers)
    assert similar.status_code == 200
    group = {shot_with_figure}
    if _cluster(shot_with_figure) is not None:  # the similar shot may speak for the cluster it is in
        with session_scope() as session:
            group |= set(session.scalars(select(AssetScreening.asset_id).where(
                AssetScreening.cluster_id == _cluster(shot_with_figure))))
    assert {uuid.UUID(s["asset_id"]) for s in similar.json()["similar"]} & group
    assert client.get(f"/api/v1/assets/{burst}/similar", headers=school.headers).status_code == 403


def test_dedupe_twice_gives_the_same_hashes_cluster_and_similar_shots(
    two_schools: tuple[uuid.UUID, tuple[Actor, uuid.UUID], tuple[Actor, uuid.UUID]],
) -> None:
    campaign, (province, sub_p), (school, sub_s) = two_schools
    base = scene(11)
    first = _photo(province, campaign, sub_p, figure(base, 120))
    second = _photo(school, campaign, sub_s, screenshot(figure(base, 120)))
    third = _photo(school, campaign, sub_s, figure(base, 620))

    def state() -> tuple[object, ...]:
        with session_scope() as session:
            return (
                session.scalar(select(func.count()).where(AssetHash.asset_id == second)),
                _cluster(second),
                sorted(session.scalars(select(SimilarShot.other_id).where(SimilarShot.asset_id == third))),
            )

    for asset_id in (first, second, third):
        _dedupe(asset_id)
    once = state()
    _dedupe(second)
    _dedupe(third)
    assert state() == once
    assert once[0] >= 4  # full, two central crops and the photo found inside the screenshot
    assert once[1] is not None
    assert once[1] == _cluster(first)


def test_clip_cut_at_a_non_aligned_point_joins_its_original(
    two_schools: tuple[uuid.UUID, tuple[Actor, uuid.UUID], tuple[Actor, uuid.UUID]], tmp_path: Path
) -> None:
    campaign, (province, sub_p), (school, sub_s) = two_schools
    backdrop = scene(21, (2400, 240))
    long_video = panning_video(tmp_path / "long.mp4", backdrop, seconds=14)
    cut = panning_video(tmp_path / "cut.mp4", backdrop, seconds=6, start=4.37)  # 4.37 s in: between samples
    flipped = panning_video(tmp_path / "flip.mp4", backdrop, seconds=6, start=7.61, mirror=True)
    other = panning_video(tmp_path / "other.mp4", scene(22, (2400, 240)), seconds=6)
    ids = [
        make_probed_asset(actor, campaign, sub, path.read_bytes(), filename=path.name, kind="video", mime="video/mp4")
        for actor, sub, path in ((province, sub_p, long_video), (school, sub_s, cut), (school, sub_s, flipped),
                                 (school, sub_s, other))
    ]
    for asset_id in ids:
        _dedupe(asset_id)
    clusters = [_cluster(asset_id) for asset_id in ids]
    assert clusters[0] is not None
    assert clusters[1] == clusters[0]
    assert clusters[2] == clusters[0]
    assert clusters[3] is None


def test_lookup_finds_every_stored_hash_within_31_and_keeps_kinds_apart(servers: object) -> None:
    """``lookup_many`` on the real table: hashes 31 bits away (flips spread over all bands, the MIH worst case) are
    found exactly, one 80 bits away is not, a video hash with the very bits is not an image match, and the cheap
    probe radius 0 still finds a copy a few bits away."""
    import random

    from sqlalchemy import text

    from workers.duplicates import lookup_many
    from workers.steps.dedupe import _row

    rng = random.Random(3)
    query = "".join(rng.choice("01") for _ in range(256))

    def flipped(bits: list[int]) -> str:
        out = list(query)
        for bit in bits:
            out[bit] = "1" if out[bit] == "0" else "0"
        return "".join(out)

    spread = flipped(list(range(0, 256, 8))[:31])  # 31 flips, every band touched 2–3 times
    near = flipped([5, 77, 190])
    far = flipped(rng.sample(range(256), 80))
    ids = {name: uuid.uuid4() for name in ("spread", "near", "far", "video")}
    with session_scope() as session:
        session.execute(text("SET LOCAL session_replication_role = replica"))  # hash rows without asset rows
        for name, bits, kind in (("spread", spread, "image"), ("near", near, "image"), ("far", far, "image"),
                                 ("video", query, "video")):
            session.add(_row(ids[name], kind, "full", 0.0, bits, 90))
        session.flush()
        me = uuid.uuid4()
        found = {m.asset_id: m.distance for m in lookup_many(session, [query], kind="image", exclude=me)}
        assert found == {ids["spread"]: 31, ids["near"]: 3}
        cheap = {m.asset_id for m in lookup_many(session, [query], kind="image", exclude=me, probe=[0])}
        assert ids["near"] in cheap
        videos = {m.asset_id for m in lookup_many(session, [query], kind="video", exclude=me)}
        assert videos == {ids["video"]}
        session.rollback()
