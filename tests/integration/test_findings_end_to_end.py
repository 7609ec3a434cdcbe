"""Issue 12, end to end: photos with a QR code, a phone number, a price and a platform watermark go through the real
pipeline (upload → verify → probe → derive → screen → dedupe → tag in a real worker) and appear under their filter
and first in the risk sort; clean photos and the week's own banner appear under none of the promotion filters."""

from __future__ import annotations

import httpx
import pytest

from service.core.findings import codes_for_filter
from service.db.org import Role
from tests.screening_media import PROMOTION_OVERLAYS, cjk_font, jpeg, photo, week_banner_photo
from tests.support import ChildProcess, make_actor, make_asset, make_campaign, make_submission, wait_for_asset

PROMOTION_FILTERS = ("qr", "phone", "price", "promotion", "watermark", "sensitive")


def test_promotion_photos_are_filtered_and_ranked_first(worker: ChildProcess, http: httpx.Client) -> None:
    if cjk_font(40) is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")
    campaign = make_campaign()
    school, editor = make_actor(Role.submitter), make_actor(Role.editor)
    submission = make_submission(school, campaign, "开放校园 技能展示")
    risky = {code: make_asset(school, campaign, jpeg(overlay(photo(100 + i, (1280, 960)))), f"{code}.jpg",
                              submission_id=submission, first_step="verify")
             for i, (code, overlay) in enumerate(PROMOTION_OVERLAYS.items())}
    clean = {name: make_asset(school, campaign, jpeg(image), f"{name}.jpg", submission_id=submission,
                              first_step="verify")
             for name, image in (("clean1", photo(120, (1280, 960))), ("clean2", photo(121, (1280, 960))),
                                 ("banner", week_banner_photo(122)))}
    every = {**risky, **clean}
    bodies = {name: wait_for_asset(http, str(asset_id), editor.headers, {"ready", "failed", "rejected_invalid"},
                                   timeout=900) for name, asset_id in every.items()}
    assert {n: b["status"] for n, b in bodies.items()} == dict.fromkeys(every, "ready"), bodies
    assert "职业教育活动周" in str(bodies["banner"]["ocr_text"])

    def queue(**params: str) -> list[str]:
        response = http.get("/api/v1/review/queue", headers=editor.headers,
                            params={"campaign_id": str(campaign), "limit": "50", **params})
        assert response.status_code == 200, response.text
        return [item["asset_id"] for item in response.json()["items"]]

    name_of = {str(asset_id): name for name, asset_id in every.items()}
    for code, asset_id in risky.items():
        assert str(asset_id) in queue(finding=code), (code, bodies[code]["findings"])
        codes = {f["code"] for f in bodies[code]["findings"]}
        assert set(codes_for_filter(code)) & codes, codes
    for f in PROMOTION_FILTERS:
        listed = {name_of.get(a) for a in queue(finding=f)}
        assert not listed & set(clean), (f, listed, {n: bodies[n]["findings"] for n in listed & set(clean)})
    by_risk = [name_of[a] for a in queue(sort="risk")]
    assert set(by_risk[:4]) == set(risky), by_risk
    watermark = next(f for f in bodies["watermark"]["findings"] if f["code"] == "watermark")
    assert watermark["detail"]["platform"] == "douyin"
    assert watermark["name"] == "其他平台水印"
