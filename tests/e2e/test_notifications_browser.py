"""The notification bell in a real browser: a school's rejected file shows as an unread count in the header (desktop
and phone), the centre lists it in Chinese with Beijing time, opening it goes to the submission and the count drops.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from service.core.db import session_scope
from service.core.events import EventKind, publish
from service.db.org import OrgKind, Role
from tests.e2e.conftest import fits_the_screen, login, shot
from tests.notify_support import dispatch_and_send
from tests.support import make_actor, make_campaign, make_org, make_submission

pytestmark = pytest.mark.browser
PASSWORD = "notify-browser-2023"


def test_the_bell_counts_unread_and_opening_one_goes_to_its_page(new_page: Any) -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org, password=PASSWORD)
    submission = make_submission(actor, make_campaign(), title="开放校园日")
    with session_scope() as session:
        for name in ("横幅.jpg", "合影.jpg"):
            publish(session, EventKind.asset_rejected, subject_kind="submission", subject_id=submission,
                    org_id=org, data={"title": name, "reason": "含商业推广内容", "asset_id": str(uuid.uuid4())})
    dispatch_and_send()

    page = new_page()
    login(page, actor.username, PASSWORD)
    page.goto("/submissions")
    assert page.inner_text("#bell-count") == "2"
    page.click("#bell")
    page.wait_for_url("**/notifications")
    assert "通知中心" in page.inner_text("h1")
    items = page.locator("#notification-list li.unread")
    assert items.count() == 2
    assert "文件未通过审核：合影.jpg" in page.inner_text("#notification-list")
    assert "原因：含商业推广内容" in page.inner_text("#notification-list")
    assert page.locator("#notification-list time").first.get_attribute("title") == "北京时间"
    shot(page, "notifications-centre")
    page.locator("#notification-list li.unread button").first.click()
    page.wait_for_url(f"**/submissions/{submission}")
    assert page.inner_text("#bell-count") == "1"

    phone = new_page(phone=True)
    login(phone, actor.username, PASSWORD)
    phone.goto("/notifications")
    assert fits_the_screen(phone)
    assert phone.is_visible("#bell-count")  # on the first row beside the menu button, not inside the closed menu
    assert not phone.is_visible(".mainnav")
    shot(phone, "notifications-phone")
