"""Report pages: a plan form that says what is wrong in Chinese, a case linked to its photos and filed, the desk's
queue and its page that shows the case next to its media, and deadline rows on the submitters' pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.db.org import OrgKind, Role
from tests.support import make_actor, make_campaign, make_org, make_ready_asset, make_submission, web_login

PASSWORD = "correct-horse-battery"
XSS = '<script>alert("x")</script>[点我](javascript:alert(1))'


def _report_id(location: str) -> str:
    found = re.match(r"/reports/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


def test_a_province_files_its_plan_from_the_form(client: TestClient) -> None:
    campaign = make_campaign()
    province = make_actor(Role.submitter, make_org(OrgKind.province, region="370000"), password=PASSWORD)
    csrf = web_login(client, province.username, PASSWORD)
    client.cookies.set("campaign", str(campaign))  # the header's campaign switcher (many campaigns are open)
    listing = client.get("/reports")
    assert listing.status_code == 200
    assert 'data-deadline="plan"' in listing.text
    assert "新建活动方案" in listing.text
    form = client.get("/reports/new?kind=plan")
    assert 'name="website_url"' in form.text
    assert 'name="liaison_phone"' in form.text
    bad = client.post("/reports/new", data={"csrf_token": csrf, "kind": "plan", "title": "",
                                            "website_url": "javascript:alert(1)", "liaison_phone": "12345"})
    assert bad.status_code == 422
    assert "请填写标题" in bad.text
    assert "专题网站网址应以 http:// 或 https:// 开头" in bad.text
    assert "联系电话应为手机号" in bad.text
    good = client.post("/reports/new", follow_redirects=False, data={
        "csrf_token": csrf, "kind": "plan", "title": "山东省活动周方案", "body": "# 总体安排\n\n- 开放校园",
        "website_url": "https://www.sdedu.gov.cn/zjhdz", "liaison_name": "王老师", "liaison_phone": "13812345678",
        "liaison_email": "wang@sdedu.gov.cn"})
    assert good.status_code == 303
    report_id = _report_id(good.headers["location"])
    detail = client.get(f"/reports/{report_id}")
    assert '<h2>总体安排</h2>' in detail.text
    assert 'href="https://www.sdedu.gov.cn/zjhdz"' in detail.text
    assert 'id="file-button"' in detail.text
    again = client.get("/reports/new?kind=plan", follow_redirects=False)
    assert again.headers["location"] == f"/reports/{report_id}"
    filed = client.post(f"/reports/{report_id}/file", data={"csrf_token": csrf}, follow_redirects=False)
    assert filed.status_code == 303
    after = client.get(f"/reports/{report_id}")
    assert 'id="report-status">已提交' in after.text
    assert 'id="file-button"' not in after.text
    plan_row = re.search(r'data-deadline="plan" data-state="(\w+)"', client.get("/submissions").text)
    assert plan_row
    assert plan_row.group(1) == "filed"
    assert "已提交（" in client.get("/reports").text


def test_a_case_is_linked_to_photos_filed_and_the_desk_sees_it_next_to_them(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter, password=PASSWORD)
    submission = make_submission(school, campaign, title="汽修开放日")
    photos = [make_ready_asset(submission, f"car-{i}.jpg", with_thumb=True) for i in range(2)]
    csrf = web_login(client, school.username, PASSWORD)
    client.cookies.set("campaign", str(campaign))  # the header's campaign switcher (many campaigns are open)
    created = client.post("/reports/new", follow_redirects=False, data={
        "csrf_token": csrf, "kind": "case", "title": "汽修实训进社区", "body": "义务检修**120**辆车\n\n" + XSS})
    report_id = _report_id(created.headers["location"])
    detail = client.get(f"/reports/{report_id}")
    assert "<script>alert" not in detail.text
    assert "&lt;script&gt;" in detail.text
    assert 'href="javascript' not in detail.text
    for photo in photos:
        assert f'value="{photo}"' in detail.text  # the picker offers the organisation's ready photos
    linked = client.post(f"/reports/{report_id}/assets", follow_redirects=False,
                         data={"csrf_token": csrf, "asset_id": [str(p) for p in photos]})
    assert linked.status_code == 303
    detail = client.get(f"/reports/{report_id}")
    assert detail.text.count("/web/media/") >= 2
    assert 'id="document-upload"' in detail.text
    assert client.post(f"/reports/{report_id}/file", data={"csrf_token": csrf}).status_code == 200

    editor = make_actor(Role.editor, password=PASSWORD)
    with TestClient(client.app, raise_server_exceptions=False) as desk:
        desk_csrf = web_login(desk, editor.username, PASSWORD)
        desk.cookies.set("campaign", str(campaign))  # the desk lists the week chosen in the header's switcher
        queue = desk.get("/desk/reports", params={"q": "汽修"})
        assert queue.status_code == 200
        assert f'data-report-id="{report_id}"' in queue.text
        assert "典型案例" in queue.text
        assert f'data-report-id="{report_id}"' not in desk.get("/desk/reports", params={"kind": "plan"}).text
        page = desk.get(f"/desk/reports/{report_id}")
        assert 'id="media-side"' in page.text
        for photo in photos:
            assert f'href="/review/assets/{photo}"' in page.text
            assert f'src="/web/media/{photo}/thumb"' in page.text
        no_reason = desk.post(f"/desk/reports/{report_id}/decision",
                              data={"csrf_token": desk_csrf, "action": "return", "reason": ""})
        assert no_reason.status_code == 422
        assert "退回时请写明原因" in no_reason.text
        assert desk.post(f"/desk/reports/{report_id}/decision", follow_redirects=False,
                         data={"csrf_token": desk_csrf, "action": "accept"}).status_code == 303
        featured = desk.post(f"/desk/reports/{report_id}/decision",
                             data={"csrf_token": desk_csrf, "action": "feature"})
        assert 'id="report-featured"' in featured.text
        desk.cookies.set("lang", "en")
        english = desk.get(f"/desk/reports/{report_id}")
        assert "Typical case" in english.text
        assert "Accepted" in english.text
        assert "典型案例" not in english.text
    assert "精选" in client.get(f"/reports/{report_id}").text
    assert client.get("/desk/reports").status_code == 403
