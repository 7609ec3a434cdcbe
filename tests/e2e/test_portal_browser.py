"""In a real browser: an editor releases a collection under embargo; the outlet sees it only once the embargo is
lifted, downloads a JPEG with its caption inside and a ZIP whose sidecar matches; the download is in the audit."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, IptcImagePlugin
from playwright.sync_api import Error as PlaywrightError

from service.core.beijing import BEIJING
from service.db.org import Role
from tests.support import ChildProcess, LiveAPI, make_actor, make_campaign, make_released_asset, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "browser-password-2023"
CAPTION = "开放校园：学生在实训基地展示数控加工技能"
SLOW = 120_000  # ms: the machine is shared; generous waits, never timed assertions


def login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(base_url=base, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(SLOW)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_embargoed_release_download_and_audit(browser: Any, live_api: LiveAPI, worker: ChildProcess,
                                              tmp_path: Path) -> None:
    shots = Path(os.environ.get("MEDIADESK_SCREENSHOTS", tmp_path))
    submitter = make_actor(Role.submitter)
    editor = make_actor(Role.editor, password=PASSWORD)
    outlet = make_actor(Role.outlet, password=PASSWORD)
    asset = make_released_asset(submitter, make_campaign(), caption=CAPTION, renditions=("web",))
    title = f"活动周·全国启动仪式 {str(asset)[:6]}"

    desk = login(browser, live_api.url, editor.username)
    desk.goto("/collections")
    desk.fill("#new-collection input[name=title]", title)
    desk.fill("#new-collection textarea[name=description]", "全国启动仪式精选图片")
    now = datetime.now(UTC).astimezone(BEIJING)
    desk.fill("#new-collection input[name=release_at]", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"))
    desk.fill("#new-collection input[name=embargo_until]", (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    desk.check(f"#new-collection input[name=asset_id][value='{asset}']")
    with desk.expect_navigation():
        desk.click("#new-collection button[type=submit]")
    desk.wait_for_selector("#state")
    assert desk.inner_text("#state") == "禁发中"
    desk.screenshot(path=str(shots / "portal-curation.png"), full_page=True)

    newsroom = login(browser, live_api.url, outlet.username)
    newsroom.goto("/portal")
    assert title not in newsroom.inner_text("#collections")
    newsroom.goto(f"/portal/assets/{asset}")
    assert "未找到" in newsroom.content()

    with desk.expect_navigation():
        desk.click("#lift")
    assert desk.inner_text("#state") == "已发布"

    newsroom.goto("/portal")
    newsroom.click(f"text={title}")
    newsroom.wait_for_selector(f".tile.asset[data-id='{asset}']")
    newsroom.screenshot(path=str(shots / "portal-collection.png"), full_page=True)
    collection_url = newsroom.url
    newsroom.click(f".tile.asset[data-id='{asset}'] a")
    assert CAPTION in newsroom.inner_text(".caption")
    with newsroom.expect_download(timeout=SLOW) as download_info:
        newsroom.click("a.download[data-rendition='web']")
    jpeg = tmp_path / "web.jpg"
    download_info.value.save_as(str(jpeg))
    image = Image.open(jpeg)
    image.load()
    iptc = IptcImagePlugin.getiptcinfo(image)
    assert iptc is not None
    assert iptc[(2, 120)].decode() == CAPTION
    assert iptc[(2, 110)].decode() == "济南职业学院宣传部"

    newsroom.goto(collection_url)
    newsroom.click("button[value=collection]")
    # The page refreshes itself while the package builds; reload too in case a refresh raced the navigation.
    def package_link() -> Any:
        try:
            found = newsroom.query_selector("#package-download")
        except PlaywrightError:  # the page's own refresh navigated while we looked; look again
            return None
        if found is None:
            newsroom.reload()
        return found

    wait_until(package_link, timeout=SLOW / 1000, interval=2, message="the package link")
    newsroom.screenshot(path=str(shots / "portal-package.png"), full_page=True)
    with newsroom.expect_download(timeout=SLOW) as package_info:
        newsroom.click("#package-download")
    archive_path = tmp_path / "package.zip"
    package_info.value.save_as(str(archive_path))
    with zipfile.ZipFile(archive_path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))
        assert [r["asset_id"] for r in rows] == [str(asset)]
        assert rows[0]["caption"] == CAPTION
        member = archive.read(rows[0]["file"])
        assert IptcImagePlugin.getiptcinfo(Image.open(io.BytesIO(member)))[(2, 120)].decode() == CAPTION  # type: ignore[index]

    desk.goto("/distribution")
    audit = desk.inner_text("#audit")
    assert outlet.username in audit
    assert desk.locator(f"#audit a[href='/review/assets/{asset}']").count() >= 1  # a picture, not a UUID
    desk.screenshot(path=str(shots / "portal-distribution.png"), full_page=True)
