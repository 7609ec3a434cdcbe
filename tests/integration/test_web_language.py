"""Every page in both languages: zh-CN pages speak Chinese only, English pages English only, and no page shows a raw
code (finding, status, rendition, pipeline step, reason, audit field). Times carry their Beijing-time label.

The pages are filled with data first (findings of every kind, a decision and an edit in the audit log, a video with
renditions, a collection released to an outlet), so that each name a page can show is actually shown. What the
people typed (titles, captions, organisation and user names) is removed before the check: that is theirs, not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from service.core.findings import CODES
from service.core.tasks import PIPELINE_STEPS
from service.db.asset import AssetStatus
from service.db.org import Role
from service.review.queue import SORTS
from service.review.reasons import REASONS
from tests.integration.portal_support import desk, release, released_asset
from tests.support import Actor, make_actor, make_campaign, make_ready_asset, make_submission, web_login

PASSWORD = "language-password-2023"
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]")
#: Latin words a Chinese page may show: file formats, units and standard abbreviations (not translations).
LATIN_OK = {"CSV", "Excel", "JPEG", "WebP", "MP4", "PDF", "PNG", "HEIC", "TIFF", "DOCX", "ODT", "TXT",
            "MB", "KB", "UTC", "GPS", "EXIF", "IP", "SHA", "English", "ID"}
#: Codes that are not English words (on Chinese pages any Latin word already fails, so every code is covered there).
RAW_CODES = {c for c in {*CODES, *REASONS, *PIPELINE_STEPS, *SORTS, *(s.value for s in AssetStatus),
                         "web_webp", "proxy_720p", "broadcast_1080p", "thumb_webp", "review_status", "reason_code",
                         "nudity_score", "not_configured", "ocr_cost", "activity_photos", "quality_score", "dedupe"}
             if "_" in c or c in {"dedupe", "qr"}}


class VisibleText(HTMLParser):
    """Text a person sees or hears: element text plus title/alt/aria-label/placeholder, without scripts, styles,
    JSON data blocks and the other-language switch (``lang`` attribute)."""

    SKIP = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # translate="no" marks data, not interface text (a client address such as the test client's "testclient")
        if tag in self.SKIP or (tag == "a" and "lang" in values) or values.get("translate") == "no":
            self.skipping.append(tag)
        if not self.skipping:
            self.parts.extend(v or "" for k, v in attrs if k in ("title", "alt", "aria-label", "placeholder"))
            if tag == "input" and values.get("type") in ("submit", "button"):
                self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible(html: str, user_text: list[str]) -> str:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for typed in sorted(user_text, key=len, reverse=True):
        text = text.replace(typed, " ")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", " ", text)
    return re.sub(r"\b[0-9a-f]{64}\b", " ", text)  # a checksum is shown as is


def problems(html: str, lang: str, user_text: list[str]) -> list[str]:
    text = visible(html, user_text)
    found: list[str] = []
    if lang == "en":
        found += [f"Chinese on an English page: {line.strip()!r}" for line in text.splitlines() if CJK.search(line)]
    else:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text):
            if word not in LATIN_OK and len(word) > 1:  # single letters are keyboard keys (j/k, a, r, f, u)
                found.append(f"Latin word on a Chinese page: {word!r}")
    for code in RAW_CODES:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(f"raw code {code!r}")
    return sorted(set(found))


@pytest.fixture(scope="module")
def app_client(servers: object) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def world(app_client: TestClient) -> dict[str, object]:
    """One of everything: a submitter's submission with a photo and a video, findings of each kind, decisions,
    a released collection; the actors to open the pages as."""
    client = app_client
    d = desk()
    campaign = make_campaign()
    submitter = make_actor(Role.submitter, password=PASSWORD)
    submission = make_submission(submitter, campaign, title="Open campus day")
    findings = [
        {"detector": "qr", "label": "qr", "score": 0.97, "detail": {"text": "scan me"}},
        {"detector": "quality", "label": "blurry", "score": 0.4, "detail": {}},
        {"detector": "faces", "label": "faces", "score": 1.0, "detail": {"count": 3}},
        {"detector": "nsfw", "label": "model_not_configured", "score": 0.0, "detail": {}},
        {"detector": "ocr", "label": "ocr_time", "score": 0.0, "detail": {"seconds": 1.5}},
    ]
    photo = make_ready_asset(submission, "DSC_0001.jpg", with_thumb=True, findings=findings, quality_score=62.0,
                             tags=[{"name": "lathe", "source": "ocr", "score": 0.5}])
    video = make_ready_asset(submission, "clip.mp4", kind="video", findings=[
        {"detector": "nudity", "label": "nudity", "score": 0.91, "detail": {"t": 12.5, "frame": "worst.jpg"}}])
    editor = make_actor(Role.editor, password=PASSWORD)
    headers = editor.headers
    claim = client.post(f"/api/v1/review/assets/{photo}/claim", headers=headers).json()
    client.post(f"/api/v1/review/assets/{photo}/decision", headers=headers,
                json={"action": "return", "version": claim["version"], "reason_code": "caption",
                      "reason_text": "who is this"})
    client.post(f"/api/v1/review/assets/{video}/claim", headers=headers)
    client.patch(f"/api/v1/review/assets/{video}", headers=headers, json={"caption": "A lathe", "credit": "Press"})
    client.delete(f"/api/v1/review/assets/{video}/claim", headers=headers)
    outlet = make_actor(Role.outlet, org_id=d.outlet.org_id, password=PASSWORD)
    released = [released_asset(d, title="Launch", caption="Students at work", credit="School press", place="Jinan",
                               theme_tags=(), renditions=("web", "thumb")),
                released_asset(d, kind="video", title="Launch video", caption="The lathe", credit="School press",
                               place="Jinan", theme_tags=(), renditions=("proxy_720p", "broadcast_1080p", "poster"))]
    collection = release(client, d.editor, released, title="Week launch", description="Picked")
    package = client.post("/api/v1/portal/packages", headers=outlet.headers,
                          json={"collection_id": collection["id"], "rendition": "web"})
    assert package.status_code in (201, 202), package.text
    reports = _reports(client, submitter, editor, campaign, photo)
    user_text = ["Open campus day", "DSC_0001.jpg", "clip.mp4", "who is this", "A lathe", "Press", "lathe",
                 "scan me", "worst.jpg", "Launch video", "Launch", "Students at work", "School press", "Jinan",
                 "Week launch", "Picked", "The lathe", "技能：让生活更美好", "IMG_0001.jpg"]
    user_text += [a.username for a in (submitter, editor, outlet, d.editor, d.outlet, d.submitter, d.other_outlet)]
    user_text += [a.org_name for a in (submitter, editor, outlet, d.editor, d.outlet, d.submitter, d.other_outlet)]
    user_text += REPORT_TEXT
    return {"submitter": submitter, "editor": editor, "outlet": outlet, "submission": submission, "photo": photo,
            **reports,
           "video": video, "collection": collection["id"], "released": released, "package": package.json()["id"],
           "user_text": user_text}


REPORT_TEXT = ["Week plan", "Plan body", "https://www.example.edu.cn/week", "Wang", "wang@example.edu.cn",
               "Lathe case", "Case body", "needs dates", "Draft case"]


def _reports(client: TestClient, submitter: Actor, editor: Actor, campaign: object, photo: object) -> dict[str, str]:
    """A filed plan, a returned case with a linked photo, and a draft: every report state a page names."""
    api, headers = "/api/v1/reports", submitter.headers
    plan = client.post(api, headers=headers, json={
        "campaign_id": str(campaign), "kind": "plan", "title": "Week plan", "body": "Plan body",
        "website_url": "https://www.example.edu.cn/week", "liaison_name": "Wang", "liaison_phone": "13812345678",
        "liaison_email": "wang@example.edu.cn"}).json()
    assert client.post(f"{api}/{plan['id']}/file", headers=headers).status_code == 200
    case = client.post(api, headers=headers, json={"campaign_id": str(campaign), "kind": "case",
                                                   "title": "Lathe case", "body": "Case body"}).json()
    client.post(f"{api}/{case['id']}/assets", headers=headers, json={"asset_ids": [str(photo)]})
    client.post(f"{api}/{case['id']}/file", headers=headers)
    returned = client.post(f"{api}/{case['id']}/decision", headers=editor.headers,
                           json={"action": "return", "reason": "needs dates"})
    assert returned.status_code == 200, returned.text
    draft = client.post(api, headers=headers, json={"campaign_id": str(campaign), "kind": "manuscript",
                                                    "title": "Draft case", "body": "Case body"}).json()
    return {"plan": plan["id"], "case": case["id"], "draft": draft["id"]}


def pages_of(role: str, w: dict[str, object]) -> list[str]:
    s, c, r = w["submission"], w["collection"], w["released"]
    return {
        "submitter": ["/submissions", "/submissions/new", f"/submissions/{s}", f"/submissions/{s}/edit", "/review",
                      "/reports", "/reports/new?kind=plan", "/reports/new?kind=summary", f"/reports/{w['plan']}",
                      f"/reports/{w['case']}", f"/reports/{w['draft']}", f"/reports/{w['draft']}/edit"],
        "editor": ["/review", "/review?status=all", "/review?status=returned&finding=qr",
                   "/desk/reports", "/desk/reports?status=", f"/desk/reports/{w['plan']}", f"/desk/reports/{w['case']}",
                   f"/review/assets/{w['photo']}", f"/review/assets/{w['video']}", "/dashboard", "/collections",
                   f"/collections/{c}", "/distribution"],
        "outlet": ["/portal", "/portal?q=Launch", f"/portal/collections/{c}", f"/portal/assets/{r[0]}",  # type: ignore[index]
                   f"/portal/assets/{r[1]}", f"/portal/packages/{w['package']}"],  # type: ignore[index]
    }[role]


def typed_by_people() -> list[str]:
    """Everything people typed that a page may show (this and other tests' data share the database)."""
    from sqlalchemy import select

    from service.core.db import session_scope
    from service.db.asset import Asset
    from service.db.campaign import Campaign
    from service.db.org import Organization, User
    from service.db.portal import Collection
    from service.db.review import Review
    from service.db.submission import Submission

    columns = (Campaign.name, Campaign.theme, Organization.name, User.username, Submission.title,
               Submission.description, Submission.place, Submission.credits, Submission.activity, Asset.headline,
               Asset.caption, Asset.credit, Asset.original_filename, Collection.title, Collection.description,
               Review.title, Review.reason_text, Review.ocr_text)
    found: set[str] = set()
    with session_scope() as session:
        for column in columns:
            found.update(v for v in session.scalars(select(column).distinct()) if v)
        for tags in session.scalars(select(Review.tag_names)):
            found.update(tags or [])
    return [v for v in found if len(v) > 1]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["submitter", "editor", "outlet"])
def test_every_page_speaks_one_language_and_shows_no_codes(client: TestClient, world: dict[str, object], role: str,
                                                             lang: str) -> None:
    browser = TestClient(client.app)
    actor: Actor = world[role]  # type: ignore[assignment]
    web_login(browser, actor.username, PASSWORD)
    browser.cookies.set("lang", lang)
    user_text: list[str] = [*world["user_text"], *typed_by_people()]  # type: ignore[misc]
    failures: dict[str, list[str]] = {}
    for path in pages_of(role, world):
        page = browser.get(path)
        assert page.status_code in (200, 403), (path, page.status_code)
        assert 'rel="icon"' in page.text
        assert "<title>" in page.text
        found = problems(page.text, lang, user_text)
        if found:
            failures[path] = found
    assert not failures, failures


def test_login_page_in_both_languages(client: TestClient) -> None:
    for lang in ("zh", "en"):
        browser = TestClient(client.app)
        browser.cookies.set("lang", lang)
        assert not problems(browser.get("/login").text, lang, [])


def test_times_are_beijing_time_and_labelled(client: TestClient, world: dict[str, object]) -> None:
    browser = TestClient(client.app)
    web_login(browser, world["editor"].username, PASSWORD)  # type: ignore[attr-defined]
    page = browser.get(f"/review/assets/{world['photo']}").text
    assert "页面上的时间均为北京时间" in page
    stamps = re.findall(r'<time datetime="([^"]+)" title="北京时间">', page)
    assert stamps
    assert all(s.endswith("+08:00") for s in stamps)


def test_the_catalogue_names_every_code_it_is_asked_for() -> None:
    from service.web import i18n

    for code in CODES:
        assert i18n.name("finding", code, "zh") != i18n.name("finding", code, "en")
    for step in PIPELINE_STEPS:
        assert not CJK.search(i18n.name("step", step, "en"))
        assert CJK.search(i18n.name("step", step, "zh"))
    assert i18n.name("rendition", "web", "zh") == "网页版 JPEG · 2560 像素"
    assert i18n.name("rendition", "broadcast_1080p", "en") == "Broadcast video MP4 · 1080p"
    assert i18n.name("step", "a_new_step", "zh") == "其他"  # never the raw code
