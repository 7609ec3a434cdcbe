"""The notice's reporting cycle in a real browser: a province files its plan (website, liaison); the plan deadline's
reminder reaches the school that has not filed one (and not the province that has); the school writes a typical
case, links two of its photos and files it; the ministry's desk does not see it until the province forwards it in
its pre-review queue; the desk sees the case next to the photos, accepts and features it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from service.core.beijing import beijing_today
from service.core.db import session_scope
from service.db.org import Organization, OrgKind, Role
from service.db.reporting import Report
from service.notify.dispatch import dispatch_pending
from service.notify.schedule import remind_deadlines
from tests.e2e.conftest import login, shot
from tests.support import make_actor, make_campaign, make_org, make_ready_asset, make_submission

PASSWORD = "correct-horse-battery"


def _report_id(page: Any) -> str:
    found = re.search(r"/reports/([0-9a-f-]{36})", page.url)
    assert found, page.url
    return found.group(1)


def _switch_campaign(page: Any, campaign: uuid.UUID) -> None:
    """Pick the week in the header's campaign switcher (the test database holds many open campaigns)."""
    page.select_option("#campaign-switch select", str(campaign))
    page.click("#campaign-switch button[type=submit]")
    page.wait_for_load_state()


def test_province_plan_school_case_with_photos_ministry_accepts_and_features(new_page: Any) -> None:
    campaign = make_campaign(plan_deadline=beijing_today() + timedelta(days=3),
                             summary_deadline=beijing_today() + timedelta(days=14), prereview=True)
    province_org = make_org(OrgKind.province, region="370000", name=f"山东省教育厅-{uuid.uuid4().hex[:6]}")
    school_org = make_org(OrgKind.school, region="370102", name=f"济南职业学院-{uuid.uuid4().hex[:6]}")
    with session_scope() as session:
        school_row = session.get(Organization, school_org)
        assert school_row is not None
        school_row.parent_id = province_org
    province = make_actor(Role.submitter, province_org, password=PASSWORD)
    school = make_actor(Role.submitter, school_org, password=PASSWORD)
    editor = make_actor(Role.editor, password=PASSWORD)
    submission = make_submission(school, campaign, title="汽修实训进社区")
    photos = [str(make_ready_asset(submission, f"community-{i}.jpg", with_thumb=True)) for i in range(2)]

    # 1. the province files its plan with the theme website and its liaison
    page = new_page()
    login(page, province.username, PASSWORD)
    _switch_campaign(page, campaign)
    page.goto("/reports")
    assert page.locator('tr[data-deadline="plan"]').get_attribute("data-state") == "due"
    page.click('a[data-kind="plan"]')
    page.fill("input[name=title]", "山东省2023年职业教育活动周活动方案")
    page.fill("textarea[name=body]", "# 总体安排\n\n全省开展**开放校园**活动。\n\n- 5月14日 启动仪式\n- 5月20日 总结")
    page.fill("input[name=website_url]", "javascript:alert(1)")
    page.fill("input[name=liaison_name]", "王老师")
    page.fill("input[name=liaison_phone]", "0531-86123456")
    page.fill("input[name=liaison_email]", "liaison@sdedu.gov.cn")
    page.click("#report-form button[type=submit]")
    assert "专题网站网址应以 http:// 或 https:// 开头" in page.locator('[data-error-for="website_url"]').inner_text()
    page.fill("input[name=website_url]", "https://www.sdedu.gov.cn/zjhdz")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/[0-9a-f-]{36}\?msg=created"))
    assert page.locator("#report-body h2").inner_text() == "总体安排"
    shot(page, "report-plan-draft")
    page.click("#file-button")
    page.wait_for_url(re.compile(r"msg=filed"))
    assert page.locator("#report-status").inner_text() == "已提交"
    assert page.locator("#plan-website").get_attribute("href") == "https://www.sdedu.gov.cn/zjhdz"
    page.goto("/reports")
    assert page.locator('tr[data-deadline="plan"]').get_attribute("data-state") == "filed"
    assert "已提交（" in page.locator('tr[data-deadline="plan"] .deadline-state').inner_text()

    # 2. three days before the plan deadline the reminder reaches the school (no plan yet), not the province
    with session_scope() as session:
        assert remind_deadlines(session) >= 1
    with session_scope() as session:
        dispatch_pending(session)
    reminded = new_page()
    login(reminded, school.username, PASSWORD)
    reminded.goto("/notifications")
    reminder = reminded.locator("#notification-list li", has_text="截止日期提醒")
    assert reminder.count() == 1
    assert "活动方案" in reminder.inner_text() or "活动计划" in reminder.inner_text()
    page.goto("/notifications")
    assert page.locator("#notification-list li", has_text="截止日期提醒").count() == 0

    # 3. a school writes a typical case, links two photos and files it
    school_page = new_page()
    login(school_page, school.username, PASSWORD)
    _switch_campaign(school_page, campaign)
    school_page.goto("/reports")
    school_page.click('a[data-kind="case"]')
    school_page.fill("input[name=title]", "汽修实训进社区：义务检修120辆车")
    school_page.fill("textarea[name=body]", "学校汽修专业师生走进社区，为市民**义务检修**车辆。")
    school_page.click("#report-form button[type=submit]")
    school_page.wait_for_url(re.compile(r"msg=created"))
    case_id = _report_id(school_page)
    for photo in photos:
        school_page.check(f'#asset-picker input[value="{photo}"]')
    school_page.click("#asset-picker button[type=submit]")
    school_page.wait_for_url(re.compile(r"msg=linked"))
    assert school_page.locator("#linked-media .tile").count() == 2
    shot(school_page, "report-case-linked")
    school_page.click("#file-button")
    school_page.wait_for_url(re.compile(r"msg=filed"))
    assert school_page.locator("#report-status").inner_text() == "已提交"
    page.goto("/reports")  # the province sees its school's filed case
    assert page.locator(f'tr[data-report-id="{case_id}"]').count() == 1

    # 4. the campaign asks for pre-review: the desk waits for the province, which forwards the case
    desk = new_page()
    login(desk, editor.username, PASSWORD)
    _switch_campaign(desk, campaign)
    desk.goto("/desk/reports")
    assert desk.locator(f'tr[data-report-id="{case_id}"]').count() == 0
    page.goto("/province/prereview")
    row = page.locator(f'tr[data-item="report:{case_id}"]')
    row.locator("form:not(.return) button[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator(f'tr[data-item="report:{case_id}"]')
    assert row.locator(".badge").inner_text() == "已转报"
    shot(page, "report-province-forwarded")

    # 5. the ministry's desk: the case next to its photos; accept, then feature
    desk.goto("/desk/reports")
    desk.click(f'tr[data-report-id="{case_id}"] a')
    desk.wait_for_url(re.compile(f"/desk/reports/{case_id}"))
    side = desk.locator("#media-side")
    for photo in photos:
        assert side.locator(f'a[href="/review/assets/{photo}"] img').count() == 1
    assert desk.locator("#report-body strong").inner_text() == "义务检修"
    loaded = desk.evaluate("Array.from(document.querySelectorAll('#media-side img')).every(i => i.naturalWidth > 0)")
    assert loaded
    desk.click("#accept-button")
    desk.wait_for_url(re.compile(r"msg=accept"))
    assert desk.locator("#report-status").inner_text() == "已采用"
    desk.click("#feature-button")
    desk.wait_for_url(re.compile(r"msg=feature"))
    assert desk.locator("#report-featured").is_visible()
    shot(desk, "report-desk-featured")
    with session_scope() as session:
        report = session.get(Report, uuid.UUID(case_id))
        assert report is not None
        assert (report.status.value, report.featured) == ("accepted", True)
    school_page.reload()
    assert school_page.locator("#report-status").inner_text() == "已采用"
