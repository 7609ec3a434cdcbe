"""Server-rendered pages: submitters' forms and status, editors' queue and asset page, escaping, media links."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.db.org import Role
from tests.support import make_actor, make_campaign, make_ready_asset, make_submission, web_login

PASSWORD = "correct-horse-battery"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _logged_in(client: TestClient, role: Role) -> tuple[str, object]:
    actor = make_actor(role, password=PASSWORD)
    return web_login(client, actor.username, PASSWORD), actor


def test_submitter_sees_deadlines_and_creates_a_submission_with_chinese_validation(client: TestClient) -> None:
    make_campaign()
    csrf, _ = _logged_in(client, Role.submitter)
    page = client.get("/submissions")
    assert page.status_code == 200
    assert "活动总结" in page.text
    assert "还剩" in page.text or "已逾期" in page.text
    bad = client.post("/submissions/new", data={"csrf_token": csrf, "title": "", "region_code": "37",
                                                "activity_date": "14/05/2023"})
    assert bad.status_code == 422
    assert "请填写标题" in bad.text
    assert "地区代码应为 6 位数字" in bad.text
    assert "活动日期格式应为" in bad.text
    good = client.post("/submissions/new", follow_redirects=False, data={
        "csrf_token": csrf, "title": "开放校园日", "category": "activity_photos",
        "theme_tags": ["开放校园", "职普融通"], "consent": "on", "activity_date": "2023-05-16"})
    assert good.status_code == 303
    detail = client.get(good.headers["location"])
    assert "开放校园日" in detail.text
    assert 'id="dropzone"' in detail.text
    assert "/static/vendor/tus.min.js" in detail.text
    submission_id = good.headers["location"].split("/")[2].split("?")[0]
    edited = client.post(f"/submissions/{submission_id}/edit", follow_redirects=False,
                         data={"csrf_token": csrf, "title": "开放校园日（修订）", "category": "typical_case"})
    assert edited.status_code == 303
    assert "开放校园日（修订）" in client.get(f"/submissions/{submission_id}").text


def test_form_posts_without_csrf_token_are_refused(client: TestClient) -> None:
    make_campaign()
    _logged_in(client, Role.submitter)
    response = client.post("/submissions/new", data={"title": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_submitters_never_see_other_organisations_and_editors_only_review(client: TestClient) -> None:
    stranger = make_actor(Role.submitter)
    other_submission = make_submission(stranger, make_campaign())
    _logged_in(client, Role.submitter)
    assert client.get(f"/submissions/{other_submission}").status_code == 404
    assert client.get("/review").status_code == 403
    editor_client = TestClient(client.app)
    _logged_in(editor_client, Role.editor)
    assert editor_client.get("/submissions").status_code == 403
    assert editor_client.get("/review").status_code == 200


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/review?status=all", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/review%3Fstatus%3Dall"


def test_captions_and_exif_with_markup_are_shown_as_text(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, make_campaign(), title=XSS)
    asset_id = make_ready_asset(submission, "x.jpg", caption=XSS, probe={"exif": {"ImageDescription": XSS}},
                                ocr_text=XSS, tags=[{"name": "<b>x</b>", "source": "ocr", "score": 0.5}])
    _logged_in(client, Role.editor)
    for page in (client.get("/review?q=script"), client.get(f"/review/assets/{asset_id}")):
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "onerror=alert" not in page.text.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
        assert "<b>x</b>" not in page.text


def test_opening_an_asset_claims_it_and_a_second_editor_is_told_who_has_it(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "a.jpg")
    csrf, first = _logged_in(client, Role.editor)
    assert 'id="decision-form"' in client.get(f"/review/assets/{asset_id}").text
    second_client = TestClient(client.app)
    _logged_in(second_client, Role.editor)
    page = second_client.get(f"/review/assets/{asset_id}")
    assert "正由编辑" in page.text
    assert first.username in page.text  # type: ignore[attr-defined]
    assert 'id="decision-form"' not in page.text
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/review/assets/{asset_id}").text)
    assert version
    decided = client.post(f"/review/assets/{asset_id}/decision", follow_redirects=False, data={
        "csrf_token": csrf, "action": "reject", "version": version.group(1), "reason_code": "off_topic",
        "next": "/review"})
    assert decided.status_code == 303
    stale = client.post(f"/review/assets/{asset_id}/decision", data={
        "csrf_token": csrf, "action": "approve", "version": version.group(1)})
    assert stale.status_code == 409
    assert "已被其他编辑修改" in stale.text


def test_media_links_redirect_to_short_lived_urls_and_respect_scope(client: TestClient) -> None:
    owner = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(owner, make_campaign()), "t.jpg", with_thumb=True)
    response = client.get(f"/web/media/{asset_id}/thumb", headers=owner.headers, follow_redirects=False)
    assert response.status_code == 302
    assert "X-Amz-Expires" in response.headers["location"]
    assert httpx.get(response.headers["location"]).headers["content-type"] == "image/jpeg"
    placeholder = client.get(f"/web/media/{asset_id}/sprite", headers=owner.headers, follow_redirects=False)
    assert placeholder.headers["location"] == "/static/img/placeholder.svg"
    stranger = make_actor(Role.submitter)
    assert client.get(f"/web/media/{asset_id}/thumb", headers=stranger.headers).status_code == 404
    assert client.get(f"/web/media/{uuid.uuid4()}/thumb", headers=owner.headers).status_code == 404


def test_dashboard_page_links_the_exports(client: TestClient) -> None:
    _logged_in(client, Role.editor)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "/api/v1/review/export.xlsx" in page.text
    assert "队列积压" in page.text


def test_video_asset_page_has_player_and_findings_on_the_timeline(client: TestClient) -> None:
    from service.core.db import session_scope
    from service.db.asset import Asset

    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "clip.mp4", kind="video", findings=[
        {"detector": "nudenet", "label": "nudity", "score": 0.91, "detail": {"t": 12.5, "frame": "worst.jpg"}}])
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.duration = 50.0
    _logged_in(client, Role.editor)
    page = client.get(f"/review/assets/{asset_id}").text
    assert f'src="/web/media/{asset_id}/proxy"' in page
    assert 'data-left="25.00"' in page  # 12.5 s of 50 s
    assert "worst.jpg" in page


def test_a_quick_decision_can_be_undone_by_its_editor_only(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "u.jpg")
    editor, colleague = make_actor(Role.editor), make_actor(Role.editor)
    claim = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()
    client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                json={"action": "approve", "version": claim["version"]})
    refused = client.post(f"/api/v1/review/assets/{asset_id}/undo", headers=colleague.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "undo_unavailable"
    undone = client.post(f"/api/v1/review/assets/{asset_id}/undo", headers=editor.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["review_status"] == "pending"
    actions = [e["action"] for e in client.get(f"/api/v1/review/assets/{asset_id}/events",
                                               headers=editor.headers).json()]
    assert actions == ["approve", "undo"]  # nothing erased from the trail
    assert client.post(f"/api/v1/review/assets/{asset_id}/undo", headers=editor.headers).status_code == 409


def test_a_returned_file_captioned_by_its_submitter_goes_back_to_the_queue(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, make_campaign(), title="开放校园日")
    asset_id = make_ready_asset(submission, "r.jpg")
    editor = make_actor(Role.editor)
    claim = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()
    client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                json={"action": "return", "version": claim["version"], "reason_code": "caption"})
    stranger = make_actor(Role.submitter)
    body = {"headline": "学生操作数控车床", "caption": "5月15日，济南，数控实训车间"}
    assert client.put(f"/api/v1/assets/{asset_id}/caption", headers=stranger.headers, json=body).status_code == 404
    fixed = client.put(f"/api/v1/assets/{asset_id}/caption", headers=submitter.headers, json=body)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["review_status"] == "pending"
    events = client.get(f"/api/v1/review/assets/{asset_id}/events", headers=editor.headers).json()
    assert [e["action"] for e in events] == ["return", "resubmit"]
    assert events[1]["after"]["caption"] == body["caption"]
    feedback = client.get(f"/api/v1/submissions/{submission}/review", headers=submitter.headers).json()["items"]
    assert feedback[0]["headline"] == body["headline"]
    queue = client.get("/api/v1/review/queue", params={"q": "数控车床"}, headers=editor.headers).json()
    assert [i["asset_id"] for i in queue["items"]] == [str(asset_id)]  # the queue finds it by its own words


def test_queue_shows_counts_and_pages_show_names_not_codes(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    for i in range(3):
        make_ready_asset(submission, f"c{i}.jpg", findings=[
            {"detector": "x", "label": "faces", "score": 1.0, "detail": {}}] if i == 0 else [])
    _logged_in(client, Role.editor)
    page = client.get(f"/review?campaign_id={campaign}").text
    assert "共 3 项，待审核 3 项" in page
    assert '<span class="badge fact">有人脸</span>' in page  # a fact, not a red risk badge
    client.cookies.set("lang", "en")
    assert "3 in all, 3 awaiting review" in client.get(f"/review?campaign_id={campaign}").text


def _slow(apply_filters: Any) -> Any:
    """The queue's filters plus a condition that sleeps 20 ms per row: a count that cannot finish in 1 ms."""
    from sqlalchemy import func, literal_column

    def slowed(query: Any, f: Any) -> Any:
        return apply_filters(query, f).where(func.pg_sleep(0.02).is_not(None) | literal_column("false"))

    return slowed


def test_queue_counts_stop_at_the_cap_and_say_so(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A campaign of a million files: the header counts up to the cap and shows "2+" instead of reading every row;
    under the cap the counts stay exact."""
    from service.core.db import session_scope
    from service.db.review import Review
    from service.review import queue as review_queue

    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    assets = [make_ready_asset(submission, f"cap{i}.jpg") for i in range(3)]
    _logged_in(client, Role.editor)
    monkeypatch.setattr(review_queue, "QUEUE_COUNT_CAP", 2)
    page = client.get(f"/review?campaign_id={campaign}").text
    assert "共 2+ 项，待审核 2+ 项" in page
    assert 'data-remaining="2+"' in page  # the page's script leaves a capped count as it is
    monkeypatch.setattr(review_queue, "QUEUE_COUNT_CAP", 3)
    assert "共 3 项，待审核 3 项" in client.get(f"/review?campaign_id={campaign}").text
    with session_scope() as session:  # one file decided: the two counts part
        decided = session.get(Review, assets[0])
        assert decided is not None
        decided.review_status = "approved"
    assert "共 3 项，待审核 2 项" in client.get(f"/review?campaign_id={campaign}").text  # one scan gives both
    monkeypatch.setattr(review_queue, "QUEUE_COUNT_CAP", 2)
    assert "共 2+ 项，待审核 2 项" in client.get(f"/review?campaign_id={campaign}").text  # past the cap: counted apart
    # a count that runs out of its time budget is not shown, and the page still answers (no aborted transaction)
    monkeypatch.setattr(review_queue, "QUEUE_COUNT_BUDGET_MS", 1)
    monkeypatch.setattr(review_queue, "apply_filters", _slow(review_queue.apply_filters))
    page = client.get(f"/review?campaign_id={campaign}").text
    assert "匹配项太多，未逐一计数" in page
    assert page.count('<article class="tile" data-asset-id=') == 2  # the two still waiting are listed
    monkeypatch.undo()
    # a two-character word is not counted (no trigram index can narrow it), its matches are still listed
    page = client.get(f"/review?campaign_id={campaign}&q=ca").text
    assert "匹配项太多，未逐一计数" in page


def test_pipeline_advice_matches_the_reason(client: TestClient) -> None:
    from service.core.db import session_scope
    from service.db.asset import Asset, AssetStatus

    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, make_campaign())
    asset_id = make_ready_asset(submission, "small.jpg")
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status, asset.reason_code = AssetStatus.rejected_invalid, "resolution_too_low"
        asset.reason_detail = "分辨率过低（64×48） / resolution too low (64×48)"
    item = client.get(f"/api/v1/submissions/{submission}/review", headers=submitter.headers).json()["items"][0]
    assert item["reason"]["zh"] == "分辨率过低（64×48）"
    assert item["reason"]["en"] == "resolution too low (64×48)"
    assert "原图" in item["reason"]["advice"]
    assert "损坏" not in item["reason"]["advice"]
    assert "original" in item["reason"]["advice_en"]


def test_a_replacement_upload_keeps_the_returned_files_history(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    old = make_ready_asset(submission, "blurry.jpg")
    new = make_ready_asset(submission, "sharp.jpg")
    other = make_ready_asset(make_submission(submitter, campaign), "elsewhere.jpg")
    editor = make_actor(Role.editor)
    body = {"replaces": str(old)}
    assert client.put(f"/api/v1/assets/{new}/replaces", headers=submitter.headers, json=body).status_code == 409
    claim = client.post(f"/api/v1/review/assets/{old}/claim", headers=editor.headers).json()
    client.post(f"/api/v1/review/assets/{old}/decision", headers=editor.headers,
                json={"action": "return", "version": claim["version"], "reason_code": "low_quality"})
    from service.core.db import session_scope
    from service.db.asset import Asset

    with session_scope() as session:  # the headline it had before it was returned
        asset = session.get(Asset, old)
        assert asset is not None
        asset.headline = "车床实训"
    wrong = client.put(f"/api/v1/assets/{other}/replaces", headers=submitter.headers, json=body)
    assert wrong.status_code == 422
    assert client.put(f"/api/v1/assets/{new}/replaces", headers=editor.headers, json=body).status_code == 403
    done = client.put(f"/api/v1/assets/{new}/replaces", headers=submitter.headers, json=body)
    assert done.status_code == 200, done.text
    assert done.json()["headline"] == "车床实训"  # the returned file's words carry over
    assert client.put(f"/api/v1/assets/{new}/replaces", headers=submitter.headers, json=body).status_code == 409
    old_events = client.get(f"/api/v1/review/assets/{old}/events", headers=editor.headers).json()
    assert [e["action"] for e in old_events][-1] == "replaced"
    _logged_in(client, Role.editor)
    page = client.get(f"/review/assets/{new}").text
    assert 'id="replaced-history"' in page
    assert f'href="/review/assets/{old}"' in page
    assert "退回补充" in page  # the editor's earlier decision is readable from the new file
