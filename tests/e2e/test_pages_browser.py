"""Each role's pages in a real browser, in both languages, at desktop and phone width (390×844):

* a submitter on a phone: the menu collapses, nothing scrolls sideways, the drop zone holds the file input, a 300 MB
  file is hashed in slices (no read above 8 MiB, the digest equals Python's), the server's refusal stays after a
  reload without a stale pause button, and a returned file is captioned and goes back to review;
* an editor: queue counts, a quick decision undone, a saved filter deleted only after confirming, the zoom view,
  curation with pictures (an empty collection refused, items added from the queue and removed, captions edited),
  dashboard charts and the organisations that have not submitted;
* an outlet: a video tile with poster, play icon and duration, and the in-page player playing the 720p proxy.

Screenshots go to ``MEDIADESK_SCREENSHOTS`` (docs/screenshots is made this way).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.core.db import session_scope
from service.db.org import OrgKind, Role
from service.db.review import Review
from tests.e2e.conftest import fits_the_screen, login, shot, use_language
from tests.support import (
    make_actor,
    make_campaign,
    make_org,
    make_ready_asset,
    make_released_asset,
    make_submission,
    tiny_jpeg,
    wait_until,
)

pytestmark = pytest.mark.browser
PASSWORD = "pages-password-2023"
CJK = re.compile(r"[\u3400-\u9fff]")
#: Records the size of every whole-blob read the page makes (the upload page must read files in slices only).
READ_PROBE = """
window.__reads = [];
const arrayBuffer = Blob.prototype.arrayBuffer;
Blob.prototype.arrayBuffer = function () { window.__reads.push(this.size); return arrayBuffer.call(this); };
const readAs = FileReader.prototype.readAsArrayBuffer;
FileReader.prototype.readAsArrayBuffer = function (blob) {
  window.__reads.push(blob.size);
  return readAs.call(this, blob);
};
"""


def _review_status(asset_id: uuid.UUID | str) -> str:
    with session_scope() as session:
        return session.scalar(select(Review.review_status).where(Review.asset_id == uuid.UUID(str(asset_id)))) or ""


def _decide(http: Any, editor: Any, asset_id: uuid.UUID, action: str, reason: str | None = None) -> None:
    claim = http.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers)
    assert claim.status_code == 200, claim.text
    body: dict[str, Any] = {"action": action, "version": claim.json()["version"]}
    if reason:
        body |= {"reason_code": reason, "reason_text": "请写明人物和地点"}
    decided = http.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers, json=body)
    assert decided.status_code == 200, decided.text


def _big_file(path: Path, mib: int) -> str:
    """A ``mib`` MiB file of varied bytes (written a MiB at a time) and its SHA-256."""
    digest = hashlib.sha256()
    block = bytearray(uuid.uuid4().bytes * 65536)
    with path.open("wb") as out:
        for i in range(mib):
            block[:8] = i.to_bytes(8, "big")
            out.write(block)
            digest.update(block)
    return digest.hexdigest()


def test_submitter_on_a_phone(new_page: Any, http: Any, tmp_path: Path) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter, password=PASSWORD)
    submission = make_submission(submitter, campaign, title="开放校园日")
    returned = make_ready_asset(submission, "DSC_0102.jpg", with_thumb=True)
    make_ready_asset(submission, "DSC_0103.jpg", with_thumb=True)
    editor = make_actor(Role.editor)
    _decide(http, editor, returned, "return", "caption")

    page = new_page(phone=True)
    page.add_init_script(READ_PROBE)
    login(page, submitter.username, PASSWORD)
    page.goto("/submissions")
    assert fits_the_screen(page)
    assert not page.locator(".mainnav").is_visible()  # the menu is collapsed behind its button
    page.click(".menu-button")
    assert page.locator(".mainnav a[href='/submissions/new']").is_visible()
    shot(page, "phone-submissions")
    page.goto("/submissions/new")
    assert fits_the_screen(page)
    shot(page, "phone-submission-form")

    page.goto(f"/submissions/{submission}")
    assert fits_the_screen(page)
    zone, picker = page.locator("#dropzone").bounding_box(), page.locator("#file-input").bounding_box()
    assert zone["x"] <= picker["x"]
    assert picker["x"] + picker["width"] <= zone["x"] + zone["width"] + 1
    wait_until(lambda: page.locator("#asset-status tbody tr").count() == 2, 30, message="status rows")
    assert not page.locator("#asset-status thead").is_visible()  # the table became cards

    # The returned file: its submitter captions it and it goes back to the queue, its history kept.
    row = page.locator(f"#asset-status tr[data-asset-id='{returned}']")
    assert "说明信息不完整" in row.inner_text()
    assert "请补充时间、地点、人物和活动内容" in row.inner_text()
    row.locator("input[name=headline]").fill("学生在数控实训车间")
    row.locator("textarea[name=caption]").fill("2023年5月15日，济南某职业学院学生在数控实训车间操作车床。")
    shot(page, "phone-submission-fix")
    row.locator("button[type=submit]").click()
    wait_until(lambda: _review_status(returned) == "pending", 30, message="the fixed file back in review")
    wait_until(lambda: "学生在数控实训车间" in row.inner_text(), 30, message="the new headline shown")
    events = http.get(f"/api/v1/review/assets/{returned}/events", headers=editor.headers).json()
    assert [e["action"] for e in events][-2:] == ["return", "resubmit"]

    # 300 MB hashed slice by slice; the server refuses it; the refusal survives a reload, with no pause button.
    big = tmp_path / "开幕式全程.mp4"
    want = _big_file(big, 300)
    refusal = {"type": "about:blank", "status": 413, "code": "file_too_large",
               "detail": "视频超过本次活动允许的最大大小 200 MiB / the video exceeds the campaign's 200 MiB limit"}
    page.route("**/api/v1/uploads", lambda route: route.fulfill(
        status=413, content_type="application/problem+json", body=json.dumps(refusal)))
    started = time.monotonic()
    with page.expect_request("**/api/v1/uploads/lookup", timeout=400_000) as lookup:
        page.set_input_files("#file-input", str(big))
    hashed_in = time.monotonic() - started
    assert json.loads(lookup.value.post_data or "{}")["sha256"] == [want]
    reads = page.evaluate("window.__reads")
    assert reads
    assert max(reads) <= 8 * 1024 * 1024, max(reads)
    page.wait_for_selector("#upload-list tr.failed", timeout=60_000)
    failed = page.locator("#upload-list tr.failed")
    assert "超过本次活动允许的最大大小" in failed.inner_text()
    assert failed.locator("button.pause").count() == 0
    sys.stderr.write(f"300 MiB hashed in the page in {hashed_in:.1f} s, {len(reads)} reads of at most {max(reads)} B\n")
    page.reload()
    assert "超过本次活动允许的最大大小" in page.locator("#upload-list tr.refused").inner_text()
    shot(page, "phone-submission")

    use_language(page, "en")
    page.goto(f"/submissions/{submission}")
    wait_until(lambda: page.locator("#asset-status tbody tr").count() == 2, 30, message="status rows")
    text = page.locator("main").inner_text()
    for typed in ("开放校园日", "学生在数控实训车间", "2023年5月15日，济南某职业学院学生在数控实训车间操作车床。",
                  "请写明人物和地点", "开幕式全程.mp4"):
        text = text.replace(typed, "")
    assert not CJK.search(text), [line for line in text.splitlines() if CJK.search(line)]
    assert "Awaiting review" in text
    assert "the video exceeds the campaign's 200 MiB limit" in text
    shot(page, "phone-submission-en")


def test_editor_queue_curation_and_dashboard(new_page: Any, http: Any) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, campaign, title="技能展示周")
    photos = [make_ready_asset(submission, f"skill-{i}.jpg", with_thumb=True, quality_score=0.9 - i / 10,
                               findings=[{"detector": "qr", "label": "qr", "score": 0.97, "detail": {"text": "x"}},
                                         {"detector": "faces", "label": "faces", "score": 1.0, "detail": {}}]
                               if i == 0 else []) for i in range(3)]
    silent = make_org(OrgKind.school, name=f"尚未报送职业学院-{uuid.uuid4().hex[:4]}")
    assert silent
    editor = make_actor(Role.editor, password=PASSWORD)
    page = new_page()
    login(page, editor.username, PASSWORD)

    page.goto(f"/review?campaign_id={campaign}")
    assert page.inner_text("#queue-counts") == "共 3 项，待审核 3 项"
    flagged = page.locator(f"#queue-grid .tile[data-asset-id='{photos[0]}']")
    assert flagged.locator(".badge.risk").count() == 1  # the QR code is a risk
    assert flagged.locator(".badge.fact").count() == 1  # faces are a fact, never a red badge
    shot(page, "review-queue")
    first = page.locator("#queue-grid .tile.current")
    first_id = first.get_attribute("data-asset-id")
    assert not page.locator("#undo-bar").is_visible()
    page.keyboard.press("a")
    first = page.locator(f"#queue-grid .tile[data-asset-id='{first_id}']")
    wait_until(lambda: "已采用" in first.locator(".badge.status").inner_text(), 30, message="approved on the tile")
    assert page.inner_text("#queue-counts") == "共 3 项，待审核 2 项"
    assert page.locator("#undo-bar").is_visible()
    page.keyboard.press("u")
    wait_until(lambda: "待审核" in first.locator(".badge.status").inner_text(), 30, message="undone on the tile")
    assert _review_status(str(first_id)) == "pending"
    assert page.inner_text("#queue-counts") == "共 3 项，待审核 3 项"

    page.fill("#saved-filters input[name=name]", "本周技能")
    page.click("#saved-filters button[type=submit]:not(.link)")
    saved = page.locator("#saved-filters a.button", has_text="本周技能")
    assert saved.count() == 1
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#saved-filters form.confirm button")
    assert saved.count() == 1  # dismissed: kept
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#saved-filters form.confirm button")
    assert page.locator("#saved-filters a.button", has_text="本周技能").count() == 0

    page.goto(f"/review/assets/{photos[0]}")
    page.click("#zoom-open")
    assert page.locator("#zoom").is_visible()
    assert page.locator("#zoom img").get_attribute("src") == f"/web/media/{photos[0]}/zoom"
    page.click("#zoom-close")
    shot(page, "review-asset")
    page.goto("/review")  # leave the page: the claim is given back
    for asset in photos[:2]:
        _decide(http, editor, asset, "feature")

    page.goto("/collections")
    page.fill("#new-collection input[name=title]", "技能展示精选")
    with page.expect_navigation():
        page.click("#new-collection button[type=submit]")
    assert "至少要包含一个素材" in page.inner_text("#form-error")
    page.fill("#new-collection input[name=title]", "技能展示精选")
    page.click(f".picker .tile[data-asset-id='{photos[0]}']")
    assert "picked" in (page.locator(f".picker .tile[data-asset-id='{photos[0]}']").get_attribute("class") or "")
    shot(page, "curation-list")
    with page.expect_navigation():
        page.click("#new-collection button[type=submit]")
    assert "专题已创建" in page.content()
    assert "state-draft" in (page.locator("#state").get_attribute("class") or "")
    collection_path = re.sub(r"^https?://[^/]+", "", page.url.split("?")[0])

    page.goto(f"/review?campaign_id={campaign}&status=featured")
    page.check(f"#queue-grid input[value='{photos[1]}']")
    with page.expect_navigation():
        page.click("#add-to-collection")
    assert page.locator(".grid.small .tile").count() == 1
    with page.expect_navigation():
        page.click("#choose-collection button[type=submit]")
    assert "已加入 1 个素材" in page.content()
    assert page.locator("#items .item").count() == 2
    item = page.locator(f"#item-{photos[1]}")
    item.locator("textarea[name=caption]").fill("学生展示焊接技能")
    with page.expect_navigation():
        item.locator(".caption-form button").click()
    assert "图片说明已保存" in page.content()
    assert page.locator(f"#item-{photos[1]} textarea").input_value() == "学生展示焊接技能"
    shot(page, "curation-detail")
    page.once("dialog", lambda dialog: dialog.accept())  # 「确定把这个素材移出专题吗？」
    with page.expect_navigation():
        page.locator(f"#item-{photos[0]} form.confirm button").click()
    assert page.locator("#items .item").count() == 1
    assert collection_path in page.url

    page.goto("/dashboard")
    wait_until(lambda: page.locator(".chart.drawn").count() >= 4, 30, message="charts drawn")
    assert "尚未报送职业学院" in page.inner_text("#silent-orgs")
    shot(page, "dashboard")
    page.goto("/distribution")
    shot(page, "distribution")

    phone = new_page(phone=True)
    login(phone, editor.username, PASSWORD)
    use_language(phone, "en")
    for path, name in ((f"/review?campaign_id={campaign}", "phone-review-queue-en"),
                       (f"/review/assets/{photos[2]}", "phone-review-asset-en"), ("/dashboard", "phone-dashboard-en"),
                       ("/collections", "phone-curation-en"), (collection_path, "phone-collection-en"),
                       ("/distribution", "phone-distribution-en")):
        phone.goto(path)
        assert fits_the_screen(phone), path
        shot(phone, name)
    phone.goto(f"/review?campaign_id={campaign}")
    assert phone.inner_text("#queue-counts") == "3 in all, 1 awaiting review"


def test_outlet_plays_a_video(new_page: Any, http: Any) -> None:
    from service.core.storage import get_storage
    from service.db.asset import Rendition

    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    editor = make_actor(Role.editor)
    outlet = make_actor(Role.outlet, password=PASSWORD)
    video = make_released_asset(submitter, campaign, kind="video", title="开幕式现场", caption="开幕式上学生表演",
                                renditions=("proxy_720p", "broadcast_1080p"))
    photo = make_released_asset(submitter, campaign, renditions=("web", "thumb"))
    poster = tiny_jpeg((20, 60, 120), (320, 240))
    get_storage().put_bytes(f"derived/{video}/poster.jpg", poster, "image/jpeg")
    with session_scope() as session:
        session.add(Rendition(asset_id=video, name="poster", key=f"derived/{video}/poster.jpg", mime="image/jpeg",
                              width=320, height=240, size=len(poster)))
    made = http.post("/api/v1/collections", headers=editor.headers, json={
        "title": "开幕式", "asset_ids": [str(video), str(photo)], "release_at": "2023-05-14T08:00:00+08:00"})
    assert made.status_code == 201, made.text
    collection = made.json()["id"]

    page = new_page()
    login(page, outlet.username, PASSWORD)
    page.goto(f"/portal/collections/{collection}")
    tile = page.locator(f".tile.asset[data-id='{video}']")
    assert tile.locator(".play").count() == 1
    assert tile.locator(".duration").inner_text() == "0:01"
    wait_until(lambda: tile.locator("img").evaluate("img => img.complete && img.naturalWidth > 0"), 30,
               message="the poster shown on the tile")
    shot(page, "portal-collection")
    page.goto(f"/portal/assets/{video}")
    player = page.locator("#player")
    wait_until(lambda: player.evaluate("v => v.readyState >= 1 && v.duration > 0"), 60, message="the video loads")
    assert "广播级视频 MP4 · 1080p" in page.inner_text("#downloads")
    assert "broadcast_1080p" not in page.inner_text("main")
    shot(page, "portal-video")
    page.goto("/portal")
    shot(page, "portal-home")

    phone = new_page(phone=True)
    login(phone, outlet.username, PASSWORD)
    use_language(phone, "en")
    phone.goto(f"/portal/assets/{video}")
    assert fits_the_screen(phone)
    assert "Broadcast video MP4 · 1080p" in phone.inner_text("#downloads")
    shot(phone, "phone-portal-video-en")
    for path, name in (("/portal", "phone-portal-home-en"), (f"/portal/collections/{collection}",
                                                              "phone-portal-collection-en")):
        phone.goto(path)
        assert fits_the_screen(phone), path
        shot(phone, name)


def test_submitter_pages_on_a_desktop_and_login_on_a_phone(new_page: Any, http: Any, tmp_path: Path) -> None:
    from service.db.asset import Asset
    from tests.media import jpeg_bytes

    campaign = make_campaign()
    submitter = make_actor(Role.submitter, password=PASSWORD)
    submission = make_submission(submitter, campaign, title="职业教育活动周启动仪式")
    make_ready_asset(submission, "IMG_2001.jpg", with_thumb=True)
    blurry = make_ready_asset(submission, "IMG_2002.jpg", with_thumb=True)
    _decide(http, make_actor(Role.editor), blurry, "return", "low_quality")
    phone = new_page(phone=True)
    phone.goto("/login")
    assert fits_the_screen(phone)
    shot(phone, "phone-login")
    page = new_page()
    login(page, submitter.username, PASSWORD)
    for path, name in (("/submissions", "submissions"), ("/submissions/new", "submission-form"),
                       (f"/submissions/{submission}", "submission")):
        page.goto(path)
        assert page.locator("link[rel=icon]").count() == 1
        shot(page, name)
    assert page.locator("#submission-list, #asset-status").count() >= 1
    page.goto("/submissions")
    assert page.locator(f"#submission-list tr[data-submission-id='{submission}'] img").count() == 1
    assert "待审核 1" in page.inner_text(f"#submission-list tr[data-submission-id='{submission}'] .summary")
    assert page.title().endswith("活动周媒体素材平台")

    # A returned file replaced by a new upload: the new file names the one it replaces (history kept).
    page.goto(f"/submissions/{submission}")
    row = page.locator(f"#asset-status tr[data-asset-id='{blurry}']")
    wait_until(lambda: row.locator("label.replace").is_visible(), 30, message="the replace button")
    sharp = tmp_path / "IMG_2002-清晰.jpg"
    sharp.write_bytes(jpeg_bytes(1600, 1200))
    row.locator("input.replace-input").set_input_files(str(sharp))

    def replaced() -> bool:
        page.wait_for_timeout(500)  # let the page's requests run
        with session_scope() as session:
            return session.scalar(select(Asset.id).where(Asset.replaces_id == blurry)) is not None

    wait_until(replaced, 120, message="the replacement linked to the returned file")
    shot(page, "submission-replaced")
