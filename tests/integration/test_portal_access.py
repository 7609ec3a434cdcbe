"""Who sees what on the portal: release time, embargo, audience, revocation, review status, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.db.asset import Asset, ReviewStatus
from service.db.org import Role
from tests.integration.portal_support import desk, release, released_asset
from tests.support import make_actor


def _sees_asset(client: TestClient, headers: dict[str, str], asset_id: object) -> bool:
    status = client.get(f"/api/v1/portal/assets/{asset_id}", headers=headers).status_code
    assert status in (200, 404)
    return status == 200


def _collection_ids(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get("/api/v1/portal/collections", headers=headers)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()}


def test_embargo_hides_until_it_passes(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    collection = release(client, d.editor, [asset], embargo_until=datetime.now(UTC) + timedelta(hours=2))
    assert collection["id"] not in _collection_ids(client, d.outlet.headers)
    assert not _sees_asset(client, d.outlet.headers, asset)
    assert client.get(f"/api/v1/portal/collections/{collection['id']}", headers=d.outlet.headers).status_code == 404
    moved = client.patch(f"/api/v1/collections/{collection['id']}", headers=d.editor.headers,
                         json={"embargo_until": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    assert moved.status_code == 200, moved.text
    assert collection["id"] in _collection_ids(client, d.outlet.headers)
    page = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()
    assert page["caption"] == "学生在实训基地展示数控加工技能"
    assert page["credit"] == "济南职业学院宣传部"
    assert page["place"] == "山东省济南市"
    assert page["date"] == "2023-05-15"
    assert page["organization"] == d.submitter.org_name
    assert [r["name"] for r in page["renditions"]] == ["original", "web"]


def test_unreleased_draft_is_invisible(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    draft = release(client, d.editor, [asset], release_at=None)
    assert draft["id"] not in _collection_ids(client, d.outlet.headers)
    assert not _sees_asset(client, d.outlet.headers, asset)
    later = release(client, d.editor, [asset], release_at=datetime.now(UTC) + timedelta(days=1))
    assert later["id"] not in _collection_ids(client, d.outlet.headers)
    assert not _sees_asset(client, d.outlet.headers, asset)


def test_private_release_is_only_for_the_named_outlet(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    private = release(client, d.editor, [asset], audience="named", outlet_ids=[str(d.outlet.org_id)])
    assert private["id"] in _collection_ids(client, d.outlet.headers)
    assert private["id"] not in _collection_ids(client, d.other_outlet.headers)
    assert not _sees_asset(client, d.other_outlet.headers, asset)
    assert client.get(f"/api/v1/portal/collections/{private['id']}",
                      headers=d.other_outlet.headers).status_code == 404
    search = client.get("/api/v1/portal/assets", params={"q": "数控"}, headers=d.other_outlet.headers).json()
    assert str(asset) not in {a["id"] for a in search["items"]}


def test_revocation_per_collection_and_per_outlet_is_immediate(client: TestClient) -> None:
    d = desk()
    first, second = released_asset(d), released_asset(d)
    one = release(client, d.editor, [first])
    two = release(client, d.editor, [second])
    assert _sees_asset(client, d.outlet.headers, first)
    revoked = client.post("/api/v1/revocations", headers=d.editor.headers,
                          json={"org_id": str(d.outlet.org_id), "collection_id": one["id"], "reason": "违规转载"})
    assert revoked.status_code == 201, revoked.text
    assert not _sees_asset(client, d.outlet.headers, first)
    assert _sees_asset(client, d.outlet.headers, second)
    assert _sees_asset(client, d.other_outlet.headers, first)  # only that outlet lost access
    whole = client.post("/api/v1/revocations", headers=d.editor.headers, json={"org_id": str(d.outlet.org_id)})
    assert whole.status_code == 201
    assert _collection_ids(client, d.outlet.headers) & {one["id"], two["id"]} == set()
    assert not _sees_asset(client, d.outlet.headers, second)
    assert client.delete(f"/api/v1/revocations/{whole.json()['id']}", headers=d.editor.headers).status_code == 204
    assert _sees_asset(client, d.outlet.headers, second)
    assert not _sees_asset(client, d.outlet.headers, first)  # the per-collection revocation still holds


def test_rejected_or_unfeatured_material_disappears(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    release(client, d.editor, [asset])
    assert _sees_asset(client, d.outlet.headers, asset)
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        row.review_status = ReviewStatus.rejected
    assert not _sees_asset(client, d.outlet.headers, asset)


def test_only_featured_assets_join_collections(client: TestClient) -> None:
    d = desk()
    pending = released_asset(d, review_status="approved")
    response = client.post("/api/v1/collections", headers=d.editor.headers,
                           json={"title": "各地特色活动精选", "asset_ids": [str(pending)]})
    assert response.status_code == 409
    assert response.json()["code"] == "asset_not_featured"


def test_withdrawn_collection_disappears(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    collection = release(client, d.editor, [asset])
    assert _sees_asset(client, d.outlet.headers, asset)
    client.patch(f"/api/v1/collections/{collection['id']}", headers=d.editor.headers, json={"withdrawn": True})
    assert not _sees_asset(client, d.outlet.headers, asset)


def test_roles_outlet_only_and_editor_only(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    collection = release(client, d.editor, [asset])
    outlet_paths = ["/api/v1/portal/collections", f"/api/v1/portal/assets/{asset}", "/api/v1/portal/assets",
                    f"/api/v1/portal/assets/{asset}/renditions/web"]
    for actor in (d.submitter, d.editor):
        for path in outlet_paths:
            response = client.get(path, headers=actor.headers)
            assert response.status_code == 403, (actor.role, path, response.text)
            assert response.json()["code"] == "forbidden"
        refused = client.post("/api/v1/portal/packages", json={"asset_ids": [str(asset)]}, headers=actor.headers)
        assert refused.status_code == 403
    editor_calls = [("GET", "/api/v1/collections"), ("POST", "/api/v1/collections"),
                    ("PATCH", f"/api/v1/collections/{collection['id']}"), ("GET", "/api/v1/downloads"),
                    ("POST", "/api/v1/revocations"), ("GET", "/api/v1/downloads/usage")]
    for actor in (d.outlet, d.submitter):
        for method, path in editor_calls:
            response = client.request(method, path, headers=actor.headers, json={})
            assert response.status_code == 403, (actor.role, method, path, response.text)
    assert client.get("/api/v1/portal/collections").status_code == 401
    admin = make_actor(Role.admin)
    assert client.get(f"/api/v1/portal/assets/{asset}", headers=admin.headers).status_code == 200


def test_search_by_text_tag_region_date_and_kind(client: TestClient) -> None:
    d = desk()
    marker = d.campaign.hex[:8]
    photo = released_asset(d, title=f"开放校园{marker}", theme_tags=("职普融通",), region_code="370100",
                           caption="数控车床")
    video = released_asset(d, kind="video", title=f"技能大赛{marker}", theme_tags=("产教融合",),
                           region_code="440100", caption="技能大赛决赛现场", activity_date=None)
    release(client, d.editor, [photo, video])

    def found(**params: str) -> set[str]:
        response = client.get("/api/v1/portal/assets", params={"q": marker, **params}, headers=d.outlet.headers)
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert found() == {str(photo), str(video)}
    assert found(tag="职普融通") == {str(photo)}
    assert found(region="370000") == {str(photo)}
    assert found(region="440100") == {str(video)}
    assert found(kind="video") == {str(video)}
    assert found(date_from="2023-05-14", date_to="2023-05-16") == {str(photo)}
    assert found(q="决赛") >= {str(video)}
    bad = client.get("/api/v1/portal/assets", params={"region": "../x"}, headers=d.outlet.headers)
    assert bad.status_code == 422
