"""An editor works the queue in a real browser: filter, claim, keyboard decisions, a reason the submitter sees,
a duplicate cluster resolved; a second editor is refused the claimed item."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select

from service.core.db import session_scope
from service.db.org import Role
from service.db.review import Review
from tests.e2e.conftest import login, shot
from tests.support import make_actor, make_campaign, make_ready_asset, make_submission, published, wait_until

PASSWORD = "correct-horse-battery"


def _status(asset_id: str) -> str:
    with session_scope() as session:
        return session.scalar(select(Review.review_status).where(Review.asset_id == uuid.UUID(asset_id))) or ""


def test_editor_reviews_with_keyboard_and_submitter_sees_the_reason(new_page: Any) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter, password=PASSWORD)
    welding = make_submission(submitter, campaign, title="焊接技能大赛现场")
    for i in range(3):
        make_ready_asset(welding, f"weld-{i}.jpg", with_thumb=True, quality_score=0.5 + i / 10,
                         tags=[{"name": "技能大赛", "source": "ocr", "score": 0.9}],
                         findings=[published("qr", 0.98, text="http://shop")] if i == 0 else [])
    cluster = uuid.uuid4()
    dup_submission = make_submission(submitter, campaign, title="开放校园日合影")
    best = make_ready_asset(dup_submission, "group.jpg", with_thumb=True, cluster_id=cluster, cluster_best=True,
                            quality_score=0.9)
    copy = make_ready_asset(dup_submission, "group-copy.jpg", with_thumb=True, cluster_id=cluster, quality_score=0.4)
    editor = make_actor(Role.editor, password=PASSWORD)
    colleague = make_actor(Role.editor, password=PASSWORD)

    page = new_page()
    page.goto("/login")
    shot(page, "login")
    login(page, editor.username, PASSWORD)
    page.goto(f"/review?campaign_id={campaign}")
    page.fill("input[name=q]", "焊接技能")
    page.click("#filters button[type=submit]")
    tiles = page.locator("#queue-grid .tile")
    assert tiles.count() == 3
    page.select_option("select[name=finding]", "qr")
    page.click("#filters button[type=submit]")
    assert page.locator("#queue-grid .tile").count() == 1
    page.select_option("select[name=finding]", "")
    page.click("#filters button[type=submit]")
    order = [tiles.nth(i).get_attribute("data-asset-id") for i in range(3)]
    shot(page, "review-queue")

    page.keyboard.press("j")
    page.keyboard.press("k")
    assert "current" in (tiles.nth(0).get_attribute("class") or "")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/review/assets/{order[0]}"))
    assert page.locator("#decision-form").is_visible()
    shot(page, "review-asset")

    other = new_page()
    login(other, colleague.username, PASSWORD)
    other.goto(f"/review/assets/{order[0]}")
    assert "正由编辑" in other.locator("#claim-error").inner_text()
    assert editor.username in other.locator("#claim-error").inner_text()
    assert other.locator("#decision-form").count() == 0
    shot(other, "review-claimed-by-other")

    page.keyboard.press("a")  # approve, then the next item of the queue opens
    page.wait_for_url(re.compile(f"/review/assets/{order[1]}"))
    assert _status(order[0]) == "approved"
    page.select_option("#reason-code", "off_topic")
    page.fill("textarea[name=reason_text]", "请补充活动周期间的现场照片")
    page.locator("h1").click()  # leave the text field, as an editor would, so the shortcut applies
    page.keyboard.press("r")
    page.wait_for_url(re.compile(f"/review/assets/{order[2]}"))
    assert _status(order[1]) == "rejected"
    page.keyboard.press("f")
    page.wait_for_url(re.compile(r"/review\?.*campaign_id=.*msg=feature"))  # the filter is kept after the last item
    assert _status(order[2]) == "featured"

    page.goto(f"/review/assets/{best}")
    assert page.locator("#cluster-form .tile").count() == 2
    page.click("#resolve-cluster")
    page.wait_for_url(re.compile(f"/review/assets/{best}"))
    assert "重复组已处理" in page.content()
    assert _status(str(copy)) == "rejected"
    assert _status(str(best)) == "pending"
    audit = page.locator("#audit-log").inner_text()
    assert "cluster_reject" not in audit  # the kept asset itself was not changed

    page.goto("/dashboard")
    shot(page, "dashboard")

    mine = new_page()
    login(mine, submitter.username, PASSWORD)
    mine.goto(f"/submissions/{welding}")
    row = mine.locator(f"#asset-status tr[data-asset-id='{order[1]}']")
    wait_until(lambda: row.count() == 1, 30, message="status row")
    text = row.inner_text()
    assert "与活动周主题无关" in text
    assert "请补充活动周期间的现场照片" in text
    assert "不采用" in text
    shot(mine, "submission-status")
