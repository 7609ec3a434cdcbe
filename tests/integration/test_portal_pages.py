"""Portal and curation pages over cookie sessions: what outlets and editors see in the browser's HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from service.db.org import Role
from tests.integration.portal_support import desk, release, released_asset
from tests.support import make_actor, web_login

PASSWORD = "portal-password-2023"


def test_outlet_pages_show_released_material_as_text(client: TestClient) -> None:
    d = desk()
    outlet = make_actor(Role.outlet, org_id=d.outlet.org_id, password=PASSWORD)
    asset = released_asset(d, caption="<script>alert('x')</script>数控技能")
    collection = release(client, d.editor, [asset], title="活动周·全国启动仪式")
    hidden = release(client, d.editor, [released_asset(d)], title="尚在禁发的专题",
                     embargo_until=datetime.now(UTC) + timedelta(hours=1))
    csrf = web_login(client, outlet.username, PASSWORD)
    home = client.get("/portal")
    assert home.status_code == 200
    assert "活动周·全国启动仪式" in home.text
    assert "尚在禁发的专题" not in home.text
    page = client.get(f"/portal/assets/{asset}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;数控技能" in page
    assert "<script>alert" not in page
    assert client.get(f"/portal/collections/{hidden['id']}").status_code == 404
    results = client.get("/portal", params={"q": "数控"}).text
    assert f'data-id="{asset}"' in results
    made = client.post("/portal/packages", data={"csrf_token": csrf, "collection_id": collection["id"],
                                                 "scope": "collection", "rendition": "web"},
                       follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"].startswith("/portal/packages/")
    progress = client.get(made.headers["location"]).text
    assert 'data-status="queued"' in progress or 'data-status="building"' in progress
    assert 'http-equiv="refresh"' in progress
    assert client.get("/collections").status_code == 403  # outlets never see the editors' pages


def test_editor_creates_a_collection_with_an_embargo_through_the_form(client: TestClient) -> None:
    d = desk()
    editor = make_actor(Role.editor, password=PASSWORD)
    asset = released_asset(d)
    csrf = web_login(client, editor.username, PASSWORD)
    form = client.get("/collections").text
    assert f'value="{asset}"' in form
    created = client.post("/collections", follow_redirects=False, data={
        "csrf_token": csrf, "title": "各地特色活动精选", "description": "精选", "release_at": "2023-05-14T08:00:00",
        "embargo_until": (datetime.now(UTC) + timedelta(hours=8, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"),
        "audience": "all", "asset_id": str(asset)})
    assert created.status_code == 303, created.text
    detail = client.get(created.headers["location"]).text
    assert 'id="state">禁发中' in detail
    collection_id = re.search(r"/collections/([0-9a-f-]{36})", created.headers["location"]).group(1)  # type: ignore[union-attr]
    assert client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).status_code == 404
    lifted = client.post(f"/collections/{collection_id}", data={"csrf_token": csrf, "action": "lift"},
                         follow_redirects=False)
    assert lifted.status_code == 303
    assert 'id="state">已发布' in client.get(f"/collections/{collection_id}").text
    assert client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).status_code == 200
    no_csrf = client.post(f"/collections/{collection_id}", data={"action": "withdraw"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert client.get("/distribution").status_code == 200
    assert client.get("/portal").status_code == 403  # editors use the curation pages, not the outlets' portal


def test_outlets_get_a_poster_and_a_player_for_videos(client: TestClient) -> None:
    from service.core.db import session_scope
    from service.core.storage import get_storage
    from service.db.asset import Rendition
    from tests.support import tiny_jpeg

    d = desk()
    video = released_asset(d, kind="video", renditions=("proxy_720p", "broadcast_1080p"))
    photo = released_asset(d)
    release(client, d.editor, [video, photo])
    assert client.get(f"/api/v1/portal/assets/{video}/preview", headers=d.outlet.headers).status_code == 404
    poster = tiny_jpeg()
    get_storage().put_bytes(f"derived/{video}/poster.jpg", poster, "image/jpeg")
    with session_scope() as session:
        session.add(Rendition(asset_id=video, name="poster", key=f"derived/{video}/poster.jpg", mime="image/jpeg",
                              width=64, height=48, size=len(poster)))
    preview = client.get(f"/api/v1/portal/assets/{video}/preview", headers=d.outlet.headers, follow_redirects=False)
    assert preview.status_code == 307
    assert "poster.jpg" in preview.headers["location"]
    play = client.get(f"/api/v1/portal/assets/{video}/play", headers=d.outlet.headers, follow_redirects=False)
    assert play.status_code == 307
    assert "proxy_720p" in play.headers["location"]
    assert client.get(f"/api/v1/portal/assets/{photo}/play", headers=d.outlet.headers).status_code == 404
    body = client.get(f"/api/v1/portal/assets/{video}", headers=d.outlet.headers).json()
    assert body["play_url"] == f"/api/v1/portal/assets/{video}/play"
    outlet = make_actor(Role.outlet, org_id=d.outlet.org_id, password=PASSWORD)
    web_login(client, outlet.username, PASSWORD)
    page = client.get(f"/portal/assets/{video}").text
    assert '<video id="player"' in page
    assert "广播级视频 MP4 · 1080p" in page
    assert ">broadcast_1080p<" not in page


def test_curation_refuses_an_empty_collection_and_edits_items(client: TestClient) -> None:
    d = desk()
    editor = make_actor(Role.editor, password=PASSWORD)
    first, second = released_asset(d), released_asset(d)
    csrf = web_login(client, editor.username, PASSWORD)
    empty = client.post("/collections", data={"csrf_token": csrf, "title": "空专题", "audience": "all"})
    assert empty.status_code == 422
    assert "专题至少要包含一个素材" in empty.text
    made = client.post("/collections", follow_redirects=False,
                       data={"csrf_token": csrf, "title": "精选", "audience": "all", "asset_id": str(first)})
    path = made.headers["location"].split("?")[0]
    added = client.post(f"{path}/items", data={"csrf_token": csrf, "asset_id": str(second)})
    assert "已加入 1 个素材" in added.text
    assert f'id="item-{second}"' in added.text
    captioned = client.post(f"{path}/items/{second}/caption", data={"csrf_token": csrf, "caption": "新的说明"})
    assert "图片说明已保存" in captioned.text
    assert "新的说明" in captioned.text
    removed = client.post(f"{path}/items/{first}/remove", data={"csrf_token": csrf})
    assert "已从专题中移除" in removed.text
    assert f'id="item-{first}"' not in removed.text
    queued = client.post("/review/add-to-collection", data={"csrf_token": csrf, "asset_ids": str(first),
                                                            "back": "/review"})
    assert queued.status_code == 200
    assert 'id="choose-collection"' in queued.text
