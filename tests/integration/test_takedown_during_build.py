"""A takedown while a package is being built: the package ends without the asset (rebuilt), never delivering it,
whichever build finishes last. The build runs in-process so the takedown can be placed at an exact moment; the
takedown itself is the real API call, S3 and PostgreSQL are real."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.portal import Package, PackageStatus
from tests.integration.portal_support import Desk, desk, release, released_asset


def make_package(d: Desk, collection_id: str, assets: list[uuid.UUID]) -> uuid.UUID:
    """A package as the portal records it (no task queued: this test runs the build itself)."""
    with session_scope() as session:
        package = Package(user_id=d.outlet.user_id, org_id=d.outlet.org_id, collection_id=uuid.UUID(collection_id),
                          rendition="original", items=[{"asset_id": str(a), "rendition": "original"} for a in assets],
                          status=PackageStatus.queued, total_items=len(assets), total_bytes=0,
                          expires_at=datetime.now(UTC) + timedelta(hours=1))
        session.add(package)
        session.flush()
        return package.id


def zip_assets(key: str) -> set[str]:
    archive = zipfile.ZipFile(io.BytesIO(get_storage().get_bytes(key)))
    rows = csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig")))
    return {row["asset_id"] for row in rows}


def every_zip_of(package_id: uuid.UUID) -> dict[str, set[str]]:
    return {key: zip_assets(key) for key in get_storage().list_keys(f"packages/{package_id}/")}


def package_row(package_id: uuid.UUID) -> Package:
    with session_scope() as session:
        package = session.get(Package, package_id)
        assert package is not None
        session.expunge(package)
        return package


@pytest.mark.parametrize("moment", ["while_collecting", "while_writing"])
def test_takedown_during_a_build_never_delivers_the_asset(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                         moment: str) -> None:
    """The takedown lands mid-build and the rebuild (without the asset) finishes before the stale build does."""
    import workers.packages as packages

    d = desk()
    gone, kept = released_asset(d), released_asset(d)
    collection = release(client, d.editor, [gone, kept])
    package_id = make_package(d, collection["id"], [gone, kept])
    fired: list[bool] = []
    # The takedown queues a rebuild of the package; this test runs that rebuild itself at the moment it chooses, so
    # the message is held back here (a worker of the test session would otherwise run a third build at any time).
    import service.core.tasks as tasks

    held: list[tuple[Any, ...]] = []
    send = tasks.send_now

    def hold_rebuild(name: str, *args: Any, **kwargs: Any) -> None:
        if name == "portal.build_package" and args == (str(package_id),):
            held.append(args)
            return
        send(name, *args, **kwargs)

    monkeypatch.setattr(tasks, "send_now", hold_rebuild)

    def take_down_and_rebuild() -> None:
        if fired:
            return
        fired.append(True)
        response = client.post(f"/api/v1/assets/{gone}/takedown", json={"reason": "监护人撤回同意"},
                               headers=d.editor.headers)
        assert response.status_code == 201, response.text
        packages.build(package_id)  # the queued rebuild, finishing first

    def before(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            take_down_and_rebuild()
            return original(*args, **kwargs)
        return wrapped

    # while_collecting: after the members were chosen, before the ZIP is started; while_writing: mid-ZIP
    monkeypatch.setattr(packages, "_sidecars" if moment == "while_collecting" else "write_zip",
                        before(packages._sidecars if moment == "while_collecting" else packages.write_zip))
    packages.build(package_id)  # the stale build ends quietly: it neither fails the package nor overwrites it
    assert fired
    assert held == [(str(package_id),)]  # the takedown did queue the rebuild

    package = package_row(package_id)
    assert package.status == PackageStatus.ready, package.error
    assert package.key is not None
    assert [item["asset_id"] for item in package.items] == [str(kept)]
    assert zip_assets(package.key) == {str(kept)}
    assert all(str(gone) not in held for held in every_zip_of(package_id).values()), every_zip_of(package_id)
    assert get_storage().list_keys(f"delivery/{gone}/") == []  # no tagged copy made again by the stale build
    # the outlet's download is the rebuilt ZIP
    link = client.get(f"/api/v1/portal/packages/{package_id}", headers=d.outlet.headers)
    assert link.status_code == 200, link.text
    assert link.json()["status"] == "ready"


def test_a_second_build_of_a_ready_package_changes_nothing(client: TestClient) -> None:
    import workers.packages as packages

    d = desk()
    asset = released_asset(d)
    package_id = make_package(d, release(client, d.editor, [asset])["id"], [asset])
    packages.build(package_id)
    first = package_row(package_id)
    packages.build(package_id)
    again = package_row(package_id)
    assert (again.status, again.key, again.size) == (PackageStatus.ready, first.key, first.size)
    assert len(every_zip_of(package_id)) == 1
