"""The access-control matrix: every endpoint × role × resource state, with the expected outcome.

One row per (method, route, resource state); the ``expect`` string has one token per role in ``ROLES`` order:

* ``ok`` — allowed (2xx or 3xx);  ``401`` — not authenticated;  ``no`` — refused (403, or 404 that hides existence);
* ``listed`` / ``hidden`` — a list answers 200 and does / does not contain the row's resource;
* a number (``409``) — allowed past access control but refused for the resource's state;
* ``login`` — redirected to the sign-in page (web pages, anonymous caller);
* ``in`` — passes the role gate (anything but 401/403): only for web forms posted empty, where an allowed role may
  well get a validation answer.

Every path parameter gets a real resource (``path`` names a world id, ``fresh`` a factory run anew per request) of
the caller's own organisation or another's: unknown ids would let a row pass on a 404. Any 5xx fails a row, whatever
it expects. tests/security/test_access_matrix.py runs every row for every role and fails when an app route has no
row, so a new endpoint cannot ship without a decision here; ``python -m tests.security.matrix_doc`` publishes the
table in docs/SECURITY.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.documents_samples import HONEST_TEXT, multipart
from tests.security.world import CONSENT_PDF, PATCH_BYTES, ROLES


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    state: str
    expect: str
    path: dict[str, str] = field(default_factory=dict)  # route parameter -> world id name
    json: dict[str, Any] | None = None  # string values "@name" are replaced by world ids
    params: dict[str, str] = field(default_factory=dict)  # same "@name" substitution
    listed: str | None = None  # world id that a list response must (not) contain
    headers: dict[str, str] = field(default_factory=dict)  # "@meta:<submission>" builds a tus Upload-Metadata
    content: bytes | None = None
    fresh: dict[str, str] = field(default_factory=dict)  # route parameter -> factory run anew for every role
    cookie: bool = False  # a web page: each role signs in with its password (cookie session + CSRF token)

    def __post_init__(self) -> None:
        if len(self.expect.split()) != len(ROLES):
            raise ValueError(f"{self.method} {self.route}: expect needs {len(ROLES)} tokens, got {self.expect!r}")

    @property
    def label(self) -> str:
        return f"{self.method} {self.route} [{self.state}]"

    def expectations(self) -> dict[str, str]:
        return dict(zip(ROLES, self.expect.split(), strict=True))


def page(method: str, route: str, state: str, expect: str, **kwargs: Any) -> Case:
    """A web page or form action, requested with each role's cookie session (and its CSRF token)."""
    return Case(method, route, state, expect, cookie=True, **kwargs)


PUBLIC = "ok ok ok ok ok ok ok"
TUS = {"Tus-Resumable": "1.0.0"}
OWN_ORG_OR_STAFF = "401 ok no ok no no ok"
STAFF_ONLY = "401 no no ok no no ok"
ADMIN_ONLY = "401 no no no no no ok"
STAFF_PAGE = "login no no ok no no ok"
STAFF_PAGE_GATE = "login no no in no no in"
OUTLET_X = "401 no no no ok no ok"
OUTLET_PAGE = "login no no no ok ok ok"
OUTLET_X_PAGE = "login no no no ok no ok"
SIGNED_IN = "401 ok ok ok ok ok ok"
ADMIN_ONLY = "401 no no no no no ok"
ADMIN_PAGE = "login no no no no no ok"
ADMIN_PAGE_GATE = "login no no no no no in"
NEW_CAMPAIGN = {"name": "@fresh:new_name", "year": 2025, "week_start": "2025-05-11", "week_end": "2025-05-17"}
#: A report's documents are added and removed by its own organisation's submitters only (staff see, never edit).
OWN_SUBMITTERS = "401 ok no no no no no"
DOCUMENT_BODY, DOCUMENT_HEADERS = multipart("权限矩阵.txt", HONEST_TEXT.encode())

CASES: tuple[Case, ...] = (
    # operations and documentation: public by design (no data behind them)
    Case("GET", "/healthz", "–", PUBLIC),
    Case("GET", "/readyz", "–", PUBLIC),
    # Prometheus scrape: aggregate counters only (no ids, no names); kept off the public Ingress (docs/OPERATIONS.md)
    Case("GET", "/metrics", "–", PUBLIC),
    Case("GET", "/openapi.json", "–", PUBLIC),
    Case("GET", "/docs", "–", PUBLIC),
    Case("GET", "/docs/oauth2-redirect", "–", PUBLIC),
    Case("GET", "/redoc", "–", PUBLIC),
    Case("GET", "/api/v1/vocabulary", "–", PUBLIC),
    # campaigns: everyone signed in reads them and their taxonomy (forms need it); only admins create and edit
    Case("GET", "/api/v1/campaigns", "–", "401 listed listed listed listed listed listed", listed="open_campaign"),
    Case("POST", "/api/v1/campaigns", "new name", ADMIN_ONLY, json=NEW_CAMPAIGN),
    Case("GET", "/api/v1/campaigns/{campaign_id}", "open", SIGNED_IN, path={"campaign_id": "open_campaign"}),
    Case("PATCH", "/api/v1/campaigns/{campaign_id}", "open (theme unchanged)", ADMIN_ONLY,
         path={"campaign_id": "open_campaign"}, json={"theme": "技能：让生活更美好"}),
    Case("GET", "/api/v1/campaigns/{campaign_id}/taxonomy", "open", SIGNED_IN, path={"campaign_id": "open_campaign"}),
    Case("PUT", "/api/v1/campaigns/{campaign_id}/taxonomy", "a fresh campaign", ADMIN_ONLY,
         fresh={"campaign_id": "campaign"}, json={"theme_tags": [{"name": "开放校园", "en": "Open campus"}]}),
    # the ministry's week report: editors and admins
    Case("POST", "/api/v1/campaigns/{campaign_id}/week-reports", "open", STAFF_ONLY,
         path={"campaign_id": "open_campaign"}),
    Case("GET", "/api/v1/campaigns/{campaign_id}/week-reports", "open", STAFF_ONLY,
         path={"campaign_id": "open_campaign"}),
    Case("GET", "/api/v1/week-reports/{report_id}", "pending", STAFF_ONLY, path={"report_id": "week_report"}),
    Case("GET", "/api/v1/week-reports/{report_id}/{fmt}", "pending (not built yet)", "401 no no 409 no no 409",
         path={"report_id": "week_report", "fmt": "pdf"}),
    # submissions
    Case("POST", "/api/v1/submissions", "own organisation, open campaign", "401 ok ok ok no no ok",
         json={"campaign_id": "@open_campaign", "title": "权限矩阵：新建"}),
    Case("POST", "/api/v1/submissions", "naming organisation A", OWN_ORG_OR_STAFF,
         json={"campaign_id": "@open_campaign", "title": "权限矩阵：代报", "org_id": "@org_a"}),
    Case("GET", "/api/v1/submissions", "organisation A's submission", "401 listed hidden listed no no listed",
         params={"campaign_id": "@open_campaign"}, listed="submission_a"),
    Case("GET", "/api/v1/submissions/{submission_id}", "organisation A, open campaign", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a"}),
    Case("GET", "/api/v1/submissions/{submission_id}", "organisation A, closed campaign", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a_closed"}),
    Case("PATCH", "/api/v1/submissions/{submission_id}", "organisation A, open campaign", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a"}, json={"place": "山东省济南市"}),
    Case("PATCH", "/api/v1/submissions/{submission_id}", "organisation A, closed campaign", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a_closed"}, json={"place": "山东省济南市"}),
    # tus uploads (creation, HEAD, PATCH, termination) and the client's "do you have these files?" lookup
    Case("OPTIONS", "/api/v1/uploads", "–", PUBLIC, headers={"Tus-Resumable": "1.0.0"}),
    Case("POST", "/api/v1/uploads", "into organisation A's submission, open campaign", OWN_ORG_OR_STAFF,
         headers=TUS | {"Upload-Length": "10", "Upload-Metadata": "@meta:submission_a"}),
    Case("POST", "/api/v1/uploads", "into organisation A's submission, closed campaign", "401 403 no 403 no no 403",
         headers=TUS | {"Upload-Length": "10", "Upload-Metadata": "@meta:submission_a_closed"}),
    Case("HEAD", "/api/v1/uploads/{upload_id}", "organisation A's upload in progress", OWN_ORG_OR_STAFF,
         headers=TUS, fresh={"upload_id": "upload_a"}),
    Case("PATCH", "/api/v1/uploads/{upload_id}", "organisation A's upload in progress", OWN_ORG_OR_STAFF,
         headers=TUS | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
         content=PATCH_BYTES, fresh={"upload_id": "upload_a"}),
    Case("DELETE", "/api/v1/uploads/{upload_id}", "organisation A's upload in progress", OWN_ORG_OR_STAFF,
         headers=TUS, fresh={"upload_id": "upload_a"}),
    # The lookup answers for the caller's own organisation only (clients skip files they already sent).
    Case("POST", "/api/v1/uploads/lookup", "organisation A's stored file",
         "401 listed hidden hidden hidden hidden hidden",
         json={"sha256": ["@sha256:asset_a_ready"]}, listed="asset_a_ready"),
    # screening: editors edit tags and look at duplicate clusters across organisations
    Case("POST", "/api/v1/assets/{asset_id}/tags", "organisation A, ready", STAFF_ONLY,
         path={"asset_id": "asset_a_ready"}, json={"name": "权限矩阵"}),
    Case("DELETE", "/api/v1/assets/{asset_id}/tags", "organisation A, ready, tagged", STAFF_ONLY,
         fresh={"asset_id": "tagged_asset_a"}, params={"name": "权限矩阵"}),
    Case("GET", "/api/v1/clusters/{cluster_id}", "organisations A and B", STAFF_ONLY,
         path={"cluster_id": "cluster_ab"}),
    Case("GET", "/api/v1/assets/{asset_id}/similar", "organisation A, ready", STAFF_ONLY,
         path={"asset_id": "asset_a_ready"}),
    # the findings vocabulary: names of codes, nothing about any asset (every signed-in role)
    Case("GET", "/api/v1/findings", "–", "401 ok ok ok ok ok ok"),
    # the review queue API (editors and admins only; every decision is an audit event)
    Case("GET", "/api/v1/review/queue", "–", STAFF_ONLY),
    Case("GET", "/api/v1/review/assets/{asset_id}", "organisation A, ready", STAFF_ONLY,
         path={"asset_id": "asset_a_ready"}),
    Case("PATCH", "/api/v1/review/assets/{asset_id}", "organisation A, ready (empty edit)", STAFF_ONLY,
         path={"asset_id": "asset_a_ready"}, json={}),
    Case("POST", "/api/v1/review/assets/{asset_id}/claim", "organisation A, ready, unclaimed", STAFF_ONLY,
         fresh={"asset_id": "ready_asset_a"}),
    Case("DELETE", "/api/v1/review/assets/{asset_id}/claim", "organisation A, ready, unclaimed", STAFF_ONLY,
         fresh={"asset_id": "ready_asset_a"}),
    Case("POST", "/api/v1/review/assets/{asset_id}/decision", "organisation A, ready, pending", STAFF_ONLY,
         fresh={"asset_id": "ready_asset_a"}, json={"action": "approve"}),
    Case("GET", "/api/v1/review/assets/{asset_id}/events", "organisation A, ready", STAFF_ONLY,
         path={"asset_id": "asset_a_ready"}),
    Case("POST", "/api/v1/review/bulk", "approve organisation A's ready photo", STAFF_ONLY,
         json={"asset_ids": ["@fresh:ready_asset_a"], "action": "approve"}),
    Case("GET", "/api/v1/review/clusters/{cluster_id}", "organisations A and B", STAFF_ONLY,
         path={"cluster_id": "cluster_ab"}),
    Case("POST", "/api/v1/review/clusters/{cluster_id}/resolve", "organisations A and B, keep the best", STAFF_ONLY,
         fresh={"cluster_id": "cluster_ab"}, json={}),
    # undo: only the caller's own last decision, within seconds (an undecided asset has nothing to undo)
    Case("POST", "/api/v1/review/assets/{asset_id}/undo", "organisation A, ready, undecided", "401 no no 409 no no 409",
         fresh={"asset_id": "ready_asset_a"}),
    # a file's own headline and caption: its submitting organisation (and admins), not editors or outlets
    Case("PUT", "/api/v1/assets/{asset_id}/caption", "organisation A, ready", "401 ok no no no no ok",
         fresh={"asset_id": "ready_asset_a"}, json={"headline": "矩阵", "caption": "权限矩阵：文件说明"}),
    # a replacement upload names the returned file it replaces (its own submission only; here nothing was returned)
    # (the fresh file is in another submission of organisation A than the one it names: refused as unprocessable)
    Case("PUT", "/api/v1/assets/{asset_id}/replaces", "organisation A, ready, naming a file of another submission",
         "401 422 no no no no 422", fresh={"asset_id": "ready_asset_a"}, json={"replaces": "@asset_a_ready"}),
    Case("GET", "/api/v1/review/dashboard", "–", STAFF_ONLY),
    Case("GET", "/api/v1/review/export.{fmt}", "CSV export", STAFF_ONLY, path={"fmt": "csv"}),
    Case("GET", "/api/v1/review/filters", "the caller's saved filters", STAFF_ONLY),
    Case("POST", "/api/v1/review/filters", "the caller's own", STAFF_ONLY,
         json={"name": "权限矩阵", "query": {"status": "pending"}}),
    Case("DELETE", "/api/v1/review/filters/{filter_id}", "the editor's", "401 no no ok no no no",
         fresh={"filter_id": "editor_filter"}),
    Case("GET", "/api/v1/submissions/{submission_id}/review", "organisation A's submission", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a"}),
    # web pages and form actions (cookie sessions; forms carry the session's CSRF token)
    Case("GET", "/login", "–", PUBLIC),
    Case("POST", "/login", "no form fields", "422 422 422 422 422 422 422"),
    Case("POST", "/logout", "no session", PUBLIC),
    Case("GET", "/lang/{code}", "–", PUBLIC, path={"code": "en"}),
    Case("MOUNT", "/static", "a stylesheet", PUBLIC),
    Case("GET", "/favicon.ico", "–", PUBLIC),
    page("GET", "/", "home", "login ok ok ok ok ok ok"),
    page("GET", "/dashboard", "–", STAFF_PAGE),
    page("POST", "/dashboard/week-report", "current campaign", STAFF_PAGE),
    page("POST", "/campaign/switch", "empty form", "login ok ok ok ok ok ok"),
    page("GET", "/campaigns", "–", STAFF_PAGE),
    page("GET", "/campaigns/new", "–", ADMIN_PAGE),
    page("POST", "/campaigns/new", "empty form", ADMIN_PAGE_GATE),
    page("GET", "/campaigns/{campaign_id}/edit", "open", ADMIN_PAGE, path={"campaign_id": "open_campaign"}),
    page("POST", "/campaigns/{campaign_id}/edit", "open (empty form)", ADMIN_PAGE_GATE,
         path={"campaign_id": "open_campaign"}),
    page("GET", "/campaigns/{campaign_id}/taxonomy", "open", ADMIN_PAGE, path={"campaign_id": "open_campaign"}),
    page("POST", "/campaigns/{campaign_id}/taxonomy", "a fresh campaign (empty form)", ADMIN_PAGE,
         fresh={"campaign_id": "campaign"}),
    page("GET", "/review", "–", STAFF_PAGE),
    page("GET", "/review/assets/{asset_id}", "organisation A, ready", STAFF_PAGE, path={"asset_id": "asset_a_ready"}),
    page("POST", "/review/assets/{asset_id}/decision", "organisation A, ready (empty form)", STAFF_PAGE_GATE,
         fresh={"asset_id": "ready_asset_a"}),
    page("POST", "/review/assets/{asset_id}/edit", "organisation A, ready (empty form)", STAFF_PAGE_GATE,
         fresh={"asset_id": "ready_asset_a"}),
    page("POST", "/review/bulk", "empty form", STAFF_PAGE_GATE),
    page("POST", "/review/assets/{asset_id}/consent", "organisation A, ready (empty form)", STAFF_PAGE_GATE,
         fresh={"asset_id": "ready_asset_a"}),
    page("POST", "/review/clusters/{cluster_id}/resolve", "organisations A and B (keep the best)", STAFF_PAGE,
         fresh={"cluster_id": "cluster_ab"}),
    page("POST", "/review/filters", "empty form", STAFF_PAGE_GATE),
    # saved filters are personal: not even an admin deletes another user's
    page("POST", "/review/filters/{filter_id}/delete", "the editor's", "login no no ok no no no",
         fresh={"filter_id": "editor_filter"}),
    # the notification centre page (and the bell in every header): one's own notifications only
    page("GET", "/notifications", "the caller's own", "login ok ok ok ok ok ok"),
    page("POST", "/notifications/read-all", "the caller's own", "login ok ok ok ok ok ok"),
    page("POST", "/notifications/{notification_id}/read", "submitter A's notification", "login ok no no no no no",
         path={"notification_id": "notification_a"}),
    page("POST", "/notifications/preferences", "the caller's own (empty form)", "login ok ok ok ok ok ok"),
    page("POST", "/notifications/webhook", "the caller's organisation (empty form)", "login in in in in in in"),
    page("POST", "/notifications/webhook/delete", "the caller's organisation", "login ok ok ok ok ok ok"),
    # submitters' pages: editors work in the review pages instead (the API still serves them every submission)
    page("GET", "/submissions", "the caller's organisation", "login ok ok no no no ok"),
    page("GET", "/submissions/new", "–", "login ok ok no no no ok"),
    page("POST", "/submissions/new", "empty form", "login in in no no no in"),
    page("GET", "/submissions/{submission_id}", "organisation A's", "login ok no no no no ok",
         path={"submission_id": "submission_a"}),
    page("GET", "/submissions/{submission_id}/edit", "organisation A's", "login ok no no no no ok",
         path={"submission_id": "submission_a"}),
    page("POST", "/submissions/{submission_id}/edit", "organisation A's (empty form)", "login in no no no no in",
         path={"submission_id": "submission_a"}),
    page("POST", "/submissions/{submission_id}/consent", "organisation A's (empty form)", "login in no no no no in",
         path={"submission_id": "submission_a"}),
    page("POST", "/submissions/{submission_id}/consent-documents", "organisation A's (empty form)",
         "login in no no no no in", path={"submission_id": "submission_a"}),
    # retention: the admins' page
    page("GET", "/admin/retention", "–", "login no no no no no ok"),
    page("POST", "/admin/retention/{campaign_id}", "open campaign (empty form)", "login no no no no no in",
         path={"campaign_id": "open_campaign"}),
    page("POST", "/admin/retention/{campaign_id}/run", "open campaign, not due", "login no no no no no in",
         path={"campaign_id": "open_campaign"}),
    page("GET", "/web/media/{asset_id}/{name}", "organisation A, ready, `thumb`", "401 ok no ok no no ok",
         path={"asset_id": "asset_a_ready", "name": "thumb"}),
    # curation (editors and admins): collections, revocations, download audit, the ministry's reports
    Case("GET", "/api/v1/collections", "–", STAFF_ONLY),
    Case("POST", "/api/v1/collections", "a draft", STAFF_ONLY, json={"title": "权限矩阵：新建"}),
    Case("GET", "/api/v1/collections/{collection_id}", "released to outlet X", STAFF_ONLY,
         path={"collection_id": "collection_x"}),
    Case("PATCH", "/api/v1/collections/{collection_id}", "a draft", STAFF_ONLY,
         path={"collection_id": "collection_draft"}, json={"title": "权限矩阵：改名"}),
    Case("POST", "/api/v1/collections/{collection_id}/items", "a draft, organisation A's featured photo", STAFF_ONLY,
         path={"collection_id": "collection_draft"}, json={"asset_ids": ["@asset_featured_a"]}),
    Case("DELETE", "/api/v1/collections/{collection_id}/items/{asset_id}", "a draft, its photo", STAFF_ONLY,
         fresh={"collection_id": "draft_collection"}, path={"asset_id": "asset_featured_a"}),
    Case("GET", "/api/v1/revocations", "–", STAFF_ONLY),
    Case("POST", "/api/v1/revocations", "outlet Y from outlet X's collection", STAFF_ONLY,
         json={"org_id": "@org_y", "collection_id": "@collection_x", "reason": "权限矩阵"}),
    Case("DELETE", "/api/v1/revocations/{revocation_id}", "outlet Y from outlet X's collection", STAFF_ONLY,
         fresh={"revocation_id": "revocation_y"}),
    Case("GET", "/api/v1/downloads", "–", STAFF_ONLY),
    Case("GET", "/api/v1/downloads/usage", "–", STAFF_ONLY),
    Case("GET", "/api/v1/reports/week-summary", "–", STAFF_ONLY),
    Case("GET", "/api/v1/reports/findings", "–", STAFF_ONLY),
    Case("GET", "/api/v1/reports/outlet-usage", "–", STAFF_ONLY),
    # a report's documents: seen by its organisation, those above it and staff; changed by its own submitters
    Case("POST", "/api/v1/reports/{report_id}/documents", "organisation A's draft report", OWN_SUBMITTERS,
         path={"report_id": "report_a_draft"}, content=DOCUMENT_BODY, headers=DOCUMENT_HEADERS),
    Case("POST", "/api/v1/reports/{report_id}/documents", "organisation A's accepted report",
         "401 409 no no no no no", path={"report_id": "report_a_accepted"}, content=DOCUMENT_BODY,
         headers=DOCUMENT_HEADERS),
    Case("GET", "/api/v1/reports/{report_id}/documents", "organisation A's filed report",
         "401 listed no listed no no listed", path={"report_id": "report_a_filed"}, listed="document_a"),
    Case("GET", "/api/v1/documents/{document_id}", "organisation A's filed report, ready", OWN_ORG_OR_STAFF,
         path={"document_id": "document_a"}),
    Case("GET", "/api/v1/documents/{document_id}/thumbnail", "organisation A's filed report, ready",
         OWN_ORG_OR_STAFF, path={"document_id": "document_a"}),
    Case("GET", "/api/v1/documents/{document_id}/download", "organisation A's filed report, ready",
         OWN_ORG_OR_STAFF, path={"document_id": "document_a"}),
    Case("DELETE", "/api/v1/documents/{document_id}", "organisation A's draft report", OWN_SUBMITTERS,
         fresh={"document_id": "draft_document_a"}),
    Case("DELETE", "/api/v1/documents/{document_id}", "organisation A's filed report", "401 409 no no no no no",
         path={"document_id": "document_a"}),
    # takedown: editors and admins take down; a submitter asks for their own organisation's file
    Case("POST", "/api/v1/assets/{asset_id}/takedown", "organisation A, ready", STAFF_ONLY,
         fresh={"asset_id": "ready_asset_a"}, json={"reason": "权限矩阵"}),
    Case("POST", "/api/v1/assets/{asset_id}/takedown-request", "submitter A's ready asset", OWN_ORG_OR_STAFF,
         fresh={"asset_id": "ready_asset_a"}, json={"reason": "监护人撤回同意"}),
    Case("GET", "/api/v1/takedowns", "–", STAFF_ONLY),
    Case("PATCH", "/api/v1/takedowns/{takedown_id}", "requested by submitter A", STAFF_ONLY,
         fresh={"takedown_id": "takedown_request_a"}, json={"legal_hold": True}),
    Case("POST", "/api/v1/takedowns/{takedown_id}/decline", "requested by submitter A", STAFF_ONLY,
         fresh={"takedown_id": "takedown_request_a"}),
    # notifications: every signed-in person has their own centre; nobody sees or marks another's (admins neither)
    Case("GET", "/api/v1/notifications", "submitter A's notification", "401 listed hidden hidden hidden hidden hidden",
         listed="notification_a"),
    Case("GET", "/api/v1/notifications/unread-count", "the caller's own", "401 ok ok ok ok ok ok"),
    Case("POST", "/api/v1/notifications/read-all", "the caller's own", "401 ok ok ok ok ok ok"),
    Case("POST", "/api/v1/notifications/{notification_id}/read", "submitter A's notification",
         "401 ok no no no no no", path={"notification_id": "notification_a"}),
    Case("GET", "/api/v1/notification-preferences", "the caller's own", "401 ok ok ok ok ok ok"),
    Case("PUT", "/api/v1/notification-preferences", "the caller's own", "401 ok ok ok ok ok ok",
         json={"choices": [{"kind": "deadline_reminder", "channel": "email", "enabled": True, "digest": "daily"}]}),
    # an organisation's team-chat robot: its own members and admins (editors have no say over a school's chat)
    Case("GET", "/api/v1/orgs/{org_id}/webhook", "organisation A", "401 ok no no no no ok", path={"org_id": "org_a"}),
    Case("PUT", "/api/v1/orgs/{org_id}/webhook", "organisation A", "401 ok no no no no ok", path={"org_id": "org_a"},
         json={"kind": "wecom", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=matrix"}),
    Case("DELETE", "/api/v1/orgs/{org_id}/webhook", "organisation A", "401 ok no no no no ok",
         path={"org_id": "org_a"}),
    # consent: the submitter's own organisation and editors; the forms never reach outlets (nor other schools)
    Case("GET", "/api/v1/assets/{asset_id}/consent", "organisation A, ready", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready"}),
    Case("PATCH", "/api/v1/assets/{asset_id}/consent", "organisation A, ready: shows minors", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready"}, json={"shows_minors": True}),
    Case("POST", "/api/v1/submissions/{submission_id}/consent-documents", "submission A, a plain PDF",
         OWN_ORG_OR_STAFF, path={"submission_id": "submission_a"}, content=CONSENT_PDF,
         headers={"Content-Type": "application/pdf"}),
    Case("GET", "/api/v1/submissions/{submission_id}/consent-documents", "submission A", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_a"}),
    Case("GET", "/api/v1/consent-documents/{document_id}/file", "submitter A's form", OWN_ORG_OR_STAFF,
         path={"document_id": "consent_document_a"}),
    # retention: admins only; the matrix's policy ends in 20 years, so a run request is refused (409)
    Case("GET", "/api/v1/campaigns/{campaign_id}/retention", "open campaign, a policy", ADMIN_ONLY,
         path={"campaign_id": "open_campaign"}),
    Case("PUT", "/api/v1/campaigns/{campaign_id}/retention", "open campaign", ADMIN_ONLY,
         path={"campaign_id": "open_campaign"}, json={"months": 240}),
    Case("GET", "/api/v1/campaigns/{campaign_id}/retention/dry-run", "open campaign", ADMIN_ONLY,
         path={"campaign_id": "open_campaign"}),
    Case("POST", "/api/v1/campaigns/{campaign_id}/retention/run", "open campaign, not due",
         "401 no no no no no 409", path={"campaign_id": "open_campaign"}),
    # the outlets' portal: only what was released to the caller's outlet (admins see it too)
    Case("GET", "/api/v1/portal/collections", "released to outlet X", "401 no no no listed hidden listed",
         listed="collection_x"),
    Case("GET", "/api/v1/portal/collections/{collection_id}", "released to outlet X", OUTLET_X,
         path={"collection_id": "collection_x"}),
    Case("GET", "/api/v1/portal/assets", "released to outlet X (its collection: other tests' releases are newer)",
         "401 no no no listed hidden listed", params={"collection_id": "@collection_x"}, listed="asset_released_x"),
    Case("GET", "/api/v1/portal/assets/{asset_id}", "released to outlet X", OUTLET_X,
         path={"asset_id": "asset_released_x"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}", "organisation A, ready, never released", "401 no no no no no no",
         path={"asset_id": "asset_a_ready"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}/preview", "released to outlet X", OUTLET_X,
         path={"asset_id": "asset_released_x"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}/play", "released to outlet X, a photo (404: no player)",
         "401 no no no in no in",
         path={"asset_id": "asset_released_x"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}/renditions/{rendition}", "released to outlet X, original",
         OUTLET_X, path={"asset_id": "asset_released_x", "rendition": "original"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}/renditions/{rendition}", "never released, original",
         "401 no no no no no no", path={"asset_id": "asset_a_ready", "rendition": "original"}),
    Case("GET", "/api/v1/portal/assets/{asset_id}/renditions/{rendition}",
         "released to outlet X, a JPEG: untouched original never offered", "401 no no no no no no",
         path={"asset_id": "asset_released_x", "rendition": "untouched"}),
    Case("POST", "/api/v1/portal/packages", "the photo released to outlet X", OUTLET_X,
         json={"asset_ids": ["@asset_released_x"]}),
    Case("GET", "/api/v1/portal/packages/{package_id}", "outlet X's package", "401 no no no ok no ok",
         path={"package_id": "package_x"}),
    # the package file is fetched through a signed, expiring link only, whoever asks
    Case("GET", "/api/v1/portal/packages/{package_id}/file", "outlet X's package, no signature",
         "no no no no no no no", path={"package_id": "package_x"}),
    # curation and portal pages
    page("GET", "/collections", "–", STAFF_PAGE),
    page("POST", "/collections", "empty form", STAFF_PAGE_GATE),
    page("GET", "/collections/{collection_id}", "released to outlet X", STAFF_PAGE,
         path={"collection_id": "collection_x"}),
    # (a fresh draft per request: these forms change or revoke a release, which would disturb the rows after them)
    page("POST", "/collections/{collection_id}", "a draft (empty form)", STAFF_PAGE_GATE,
         fresh={"collection_id": "draft_collection"}),
    page("POST", "/collections/{collection_id}/revoke", "a draft (empty form)", STAFF_PAGE_GATE,
         fresh={"collection_id": "draft_collection"}),
    page("POST", "/revocations/{revocation_id}/restore", "outlet Y from outlet X's collection", STAFF_PAGE,
         fresh={"revocation_id": "revocation_y"}),
    page("POST", "/collections/{collection_id}/items", "a draft (empty form)", STAFF_PAGE_GATE,
         fresh={"collection_id": "draft_collection"}),
    page("POST", "/collections/{collection_id}/items/{asset_id}/remove", "a draft, organisation A's photo",
         STAFF_PAGE_GATE, fresh={"collection_id": "draft_collection"}, path={"asset_id": "asset_a_ready"}),
    page("POST", "/collections/{collection_id}/items/{asset_id}/caption", "a draft, A's photo, empty form",
         STAFF_PAGE_GATE, fresh={"collection_id": "draft_collection"}, path={"asset_id": "asset_a_ready"}),
    page("POST", "/review/add-to-collection", "empty form", STAFF_PAGE_GATE),
    page("GET", "/distribution", "–", STAFF_PAGE),
    Case("GET", "/favicon.ico", "–", PUBLIC),
    page("GET", "/portal", "–", OUTLET_PAGE),
    page("GET", "/portal/collections/{collection_id}", "released to outlet X", OUTLET_X_PAGE,
         path={"collection_id": "collection_x"}),
    page("GET", "/portal/assets/{asset_id}", "released to outlet X", OUTLET_X_PAGE,
         path={"asset_id": "asset_released_x"}),
    page("GET", "/portal/assets/{asset_id}/download/{rendition}", "released to outlet X, original", OUTLET_X_PAGE,
         path={"asset_id": "asset_released_x", "rendition": "original"}),
    page("POST", "/portal/packages", "empty form", "login no no no in in in"),
    page("GET", "/portal/packages/{package_id}", "outlet X's package", OUTLET_X_PAGE,
         path={"package_id": "package_x"}),
    # accounts: admins manage users and organisations (a fresh account per destructive call); each signed-in user
    # changes only their own password and sees and ends only their own sessions
    Case("GET", "/api/v1/admin/users", "–", ADMIN_ONLY),
    Case("POST", "/api/v1/admin/users", "a new submitter of organisation A", ADMIN_ONLY,
         json={"username": "matrix-new-user", "role": "submitter", "org_id": "@org_a"}),
    Case("GET", "/api/v1/admin/users/{user_id}", "submitter B", ADMIN_ONLY, path={"user_id": "user_b"}),
    Case("PATCH", "/api/v1/admin/users/{user_id}", "an account of organisation A", ADMIN_ONLY,
         fresh={"user_id": "user_a"}, json={"display_name": "权限矩阵"}),
    Case("POST", "/api/v1/admin/users/{user_id}/password", "an account of organisation A (reset link)", ADMIN_ONLY,
         fresh={"user_id": "user_a"}, json={}),
    Case("GET", "/api/v1/admin/users/{user_id}/tokens", "submitter B", ADMIN_ONLY, path={"user_id": "user_b"}),
    Case("POST", "/api/v1/admin/users/{user_id}/tokens/revoke", "an account of organisation A", ADMIN_ONLY,
         fresh={"user_id": "user_a"}, json={}),
    Case("GET", "/api/v1/admin/users/{user_id}/sessions", "submitter B", ADMIN_ONLY, path={"user_id": "user_b"}),
    Case("DELETE", "/api/v1/admin/users/{user_id}/sessions", "an account of organisation A", ADMIN_ONLY,
         fresh={"user_id": "user_a"}),
    Case("POST", "/api/v1/admin/users/import", "a dry run of an empty CSV", ADMIN_ONLY,
         headers={"Content-Type": "text/csv"}, content=b"username,role,org\n"),
    Case("GET", "/api/v1/admin/orgs", "–", ADMIN_ONLY),
    Case("POST", "/api/v1/admin/orgs", "a new school", ADMIN_ONLY, json={"name": "权限矩阵：新单位", "kind": "school"}),
    Case("PATCH", "/api/v1/admin/orgs/{org_id}", "a school", ADMIN_ONLY, fresh={"org_id": "org_fresh"},
         json={"region_code": "370100"}),
    Case("GET", "/api/v1/admin/audit", "–", ADMIN_ONLY),
    Case("GET", "/api/v1/admin/audit/export.{fmt}", "CSV export", ADMIN_ONLY, path={"fmt": "csv"}),
    Case("POST", "/api/v1/account/password", "own account, wrong current password", "401 422 422 422 422 422 422",
         json={"current_password": "not-my-password", "new_password": "Lantern-river-2026"}),
    Case("GET", "/api/v1/account/sessions", "own sessions", SIGNED_IN),
    Case("DELETE", "/api/v1/account/sessions/{handle}", "a handle that is none of the caller's sessions",
         "401 404 404 404 404 404 404", path={"handle": "0123456789abcdef0123"}),
    page("GET", "/admin/users", "–", ADMIN_PAGE),
    page("POST", "/admin/users", "empty form", ADMIN_PAGE_GATE),
    page("GET", "/admin/users/{user_id}", "submitter B", ADMIN_PAGE, path={"user_id": "user_b"}),
    page("POST", "/admin/users/{user_id}", "an account of organisation A (empty form)", ADMIN_PAGE_GATE,
         fresh={"user_id": "user_a"}),
    page("GET", "/admin/users-import", "–", ADMIN_PAGE),
    page("POST", "/admin/users-import", "empty form", ADMIN_PAGE_GATE),
    page("GET", "/admin/orgs", "–", ADMIN_PAGE),
    page("POST", "/admin/orgs", "empty form", ADMIN_PAGE_GATE),
    page("GET", "/admin/orgs/{org_id}", "organisation A", ADMIN_PAGE, path={"org_id": "org_a"}),
    page("POST", "/admin/orgs/{org_id}", "a school (empty form)", ADMIN_PAGE_GATE, fresh={"org_id": "org_fresh"}),
    page("GET", "/admin/audit", "–", ADMIN_PAGE),
    page("GET", "/account/password", "own account", "login ok ok ok ok ok ok"),
    page("POST", "/account/password", "own account (empty form)", "login in in in in in in"),
    page("POST", "/account/sessions/{handle}/end", "a handle that is none of the caller's sessions",
         "login ok ok ok ok ok ok", path={"handle": "0123456789abcdef0123"}),
    # a reset link works without a session (its token is the credential); an unknown token is gone for everyone
    Case("GET", "/account/reset/{token}", "an unknown token", "410 410 410 410 410 410 410",
         path={"token": "no-such-reset-token-0000000000"}),
    page("POST", "/account/reset/{token}", "an unknown token", "410 410 410 410 410 410 410",
         path={"token": "no-such-reset-token-0000000000"}),
    # sign-in through OpenID Connect: not configured on the matrix's servers (404); a callback without a code refused
    Case("GET", "/login/oidc", "not configured", "404 404 404 404 404 404 404"),
    Case("GET", "/login/oidc/callback", "no code, no state", "403 403 403 403 403 403 403"),
    # reports (plans, cases, manuscripts, summaries): a draft is its organisation's alone; once filed, the
    # organisations above it and the desk see it; only the owning organisation writes and files, only staff decide
    Case("GET", "/api/v1/reports/deadlines", "the caller's organisation, current campaign", "401 ok ok ok no no ok"),
    Case("POST", "/api/v1/reports", "a case of the caller's organisation, open campaign", "401 ok ok no no no ok",
         json={"campaign_id": "@open_campaign", "kind": "case", "title": "权限矩阵：新建案例"}),
    Case("GET", "/api/v1/reports", "organisation A's filed case", "401 listed hidden listed no no listed",
         params={"campaign_id": "@open_campaign"}, listed="report_a_filed"),
    Case("GET", "/api/v1/reports", "organisation A's draft", "401 listed hidden hidden no no hidden",
         params={"campaign_id": "@open_campaign"}, listed="report_a_draft"),
    Case("GET", "/api/v1/reports/{report_id}", "organisation A's draft", "401 ok no no no no no",
         path={"report_id": "report_a_draft"}),
    Case("GET", "/api/v1/reports/{report_id}", "organisation A's filed case", OWN_ORG_OR_STAFF,
         path={"report_id": "report_a_filed"}),
    Case("PATCH", "/api/v1/reports/{report_id}", "organisation A's draft", "401 ok no no no no no",
         path={"report_id": "report_a_draft"}, json={"body": "权限矩阵：修改正文"}),
    Case("PATCH", "/api/v1/reports/{report_id}", "organisation A's filed case", "401 409 no no no no no",
         path={"report_id": "report_a_filed"}, json={"body": "权限矩阵：修改正文"}),
    Case("DELETE", "/api/v1/reports/{report_id}", "organisation A's draft", "401 ok no no no no no",
         fresh={"report_id": "draft_report_a"}),
    Case("POST", "/api/v1/reports/{report_id}/assets", "organisation A's draft, A's ready photo",
         "401 ok no no no no no", fresh={"report_id": "draft_report_a"},
         json={"asset_ids": ["@fresh:ready_asset_a"]}),
    Case("DELETE", "/api/v1/reports/{report_id}/assets/{asset_id}", "organisation A's draft, its linked photo",
         "401 ok no no no no no", fresh={"report_id": "linked_report_a"}, path={"asset_id": "asset_linked_a"}),
    Case("POST", "/api/v1/reports/{report_id}/file", "organisation A's draft with a body", "401 ok no no no no no",
         fresh={"report_id": "draft_report_a"}),
    Case("POST", "/api/v1/reports/{report_id}/decision", "organisation A's filed case, accept", STAFF_ONLY,
         fresh={"report_id": "filed_report_a"}, json={"action": "accept"}),
    page("GET", "/reports", "the caller's organisation", "login ok ok no no no ok"),
    page("GET", "/reports/new", "–", "login ok ok no no no ok"),
    page("POST", "/reports/new", "empty form", "login in in no no no in"),
    page("GET", "/reports/{report_id}", "organisation A's filed case", "login ok no no no no ok",
         path={"report_id": "report_a_filed"}),
    page("GET", "/reports/{report_id}/edit", "organisation A's draft", "login ok no no no no no",
         path={"report_id": "report_a_draft"}),
    page("POST", "/reports/{report_id}/edit", "organisation A's draft (empty form)", "login in no no no no no",
         path={"report_id": "report_a_draft"}),
    page("POST", "/reports/{report_id}/assets", "organisation A's draft (empty form)", "login in no no no no no",
         fresh={"report_id": "draft_report_a"}),
    page("POST", "/reports/{report_id}/assets/{asset_id}/remove", "organisation A's draft, its linked photo",
         "login ok no no no no no", fresh={"report_id": "linked_report_a"}, path={"asset_id": "asset_linked_a"}),
    page("POST", "/reports/{report_id}/file", "organisation A's draft with a body", "login ok no no no no no",
         fresh={"report_id": "draft_report_a"}),
    page("POST", "/reports/{report_id}/delete", "organisation A's draft", "login ok no no no no no",
         fresh={"report_id": "draft_report_a"}),
    page("GET", "/desk/reports", "–", STAFF_PAGE),
    page("GET", "/desk/reports/{report_id}", "organisation A's filed case", STAFF_PAGE,
         path={"report_id": "report_a_filed"}),
    page("POST", "/desk/reports/{report_id}/decision", "organisation A's filed case (empty form)", STAFF_PAGE_GATE,
         fresh={"report_id": "filed_report_a"}),
    # assets (outlets use the portal, never the working API)
    Case("GET", "/api/v1/assets", "organisation A's ready asset", "401 listed hidden listed hidden hidden listed",
         params={"submission_id": "@submission_a"}, listed="asset_a_ready"),
    Case("GET", "/api/v1/assets/{asset_id}", "organisation A, ready", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready"}),
    Case("GET", "/api/v1/assets/{asset_id}", "organisation A, still uploading", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_uploading"}),
    Case("GET", "/api/v1/assets/{asset_id}/renditions", "organisation A, ready", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready"}),
    Case("GET", "/api/v1/assets/{asset_id}/renditions/{name}", "organisation A, ready, `thumb`", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready", "name": "thumb"}),
    Case("GET", "/api/v1/assets/{asset_id}/hls/{filename}", "organisation A, ready, a variant playlist",
         OWN_ORG_OR_STAFF, path={"asset_id": "asset_a_ready", "filename": "v720.m3u8"}),
    Case("POST", "/api/v1/assets/{asset_id}/retry", "organisation A, failed", "401 no no ok no no ok",
         fresh={"asset_id": "failed_asset_a"}),
    Case("POST", "/api/v1/assets/{asset_id}/retry", "organisation A, ready", "401 no no 409 no no 409",
         path={"asset_id": "asset_a_ready"}),
    Case("GET", "/api/v1/assets/{asset_id}/original", "organisation A, ready", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_ready"}),
    Case("GET", "/api/v1/assets/{asset_id}/original", "organisation A, still uploading", "401 409 no 409 no no 409",
         path={"asset_id": "asset_a_uploading"}),
    Case("GET", "/api/v1/assets/{asset_id}/original", "organisation A, rejected (invalid file)", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_a_rejected"}),
    # provinces and their schools (service/hierarchy): organisation A is a province with one member school; A's users
    # read the school's material and pre-review it but never edit it; B (a school outside A's tree) sees none of it
    Case("GET", "/api/v1/submissions", "A's member school's submission", "401 listed hidden listed no no listed",
         params={"campaign_id": "@open_campaign"}, listed="submission_member_a"),
    Case("GET", "/api/v1/submissions/{submission_id}", "A's member school", OWN_ORG_OR_STAFF,
         path={"submission_id": "submission_member_a"}),
    Case("PATCH", "/api/v1/submissions/{submission_id}", "A's member school (the parent only reads)", STAFF_ONLY,
         path={"submission_id": "submission_member_a"}, json={"place": "山东省济南市"}),
    Case("GET", "/api/v1/assets/{asset_id}", "A's member school, ready", OWN_ORG_OR_STAFF,
         path={"asset_id": "asset_member_a_ready"}),
    Case("PUT", "/api/v1/hierarchy/orgs/{org_id}/parent", "a school without parent → under A",
         "401 no no no no no ok", fresh={"org_id": "school_without_parent"}, json={"parent_id": "@org_a"}),
    Case("GET", "/api/v1/hierarchy/orgs/{org_id}/members", "organisation A (a province)", OWN_ORG_OR_STAFF,
         path={"org_id": "org_a"}),
    Case("GET", "/api/v1/hierarchy/prereview", "A's member school's submission",
         "401 listed hidden hidden no no hidden", listed="submission_member_a"),
    Case("POST", "/api/v1/hierarchy/prereview/submissions/{submission_id}/forward", "A's member school, pending",
         "401 ok no no no no no", fresh={"submission_id": "member_submission_a"}),
    Case("POST", "/api/v1/hierarchy/prereview/submissions/{submission_id}/return", "A's member school, pending",
         "401 ok no no no no no", fresh={"submission_id": "member_submission_a"},
         json={"reason": "权限矩阵：请补充说明"}),
    Case("POST", "/api/v1/hierarchy/prereview/reports/{report_id}/forward", "A's member school's filed case",
         "401 ok no no no no no", fresh={"report_id": "member_report_a"}),
    Case("POST", "/api/v1/hierarchy/prereview/reports/{report_id}/return", "A's member school's filed case",
         "401 ok no no no no no", fresh={"report_id": "member_report_a"}, json={"reason": "权限矩阵：请补充照片"}),
    # bulk: each id is decided alone; one the caller may not forward comes back refused (200), outlets are refused
    Case("POST", "/api/v1/hierarchy/prereview/forward", "A's member school's submission",
         "401 ok ok ok no no ok", json={"submission_ids": ["@submission_member_a"]}),
    Case("GET", "/api/v1/hierarchy/dashboard", "own members (staff: every member)", "401 ok ok ok no no ok"),
    Case("GET", "/api/v1/hierarchy/dashboard", "organisation A's members", OWN_ORG_OR_STAFF,
         params={"org_id": "@org_a"}),
    Case("GET", "/api/v1/hierarchy/not-reported", "organisation A's members", "401 listed no listed no no listed",
         params={"org_id": "@org_a", "campaign_id": "@open_campaign"}, listed="org_member_a"),
    Case("GET", "/api/v1/hierarchy/not-reported", "organisation A's members, CSV", OWN_ORG_OR_STAFF,
         params={"org_id": "@org_a", "campaign_id": "@open_campaign", "format": "csv"}),
    page("GET", "/province", "own members", "login ok ok ok no no ok"),
    page("GET", "/province/prereview", "A's member school's submission", "login listed hidden hidden no no hidden",
         listed="submission_member_a"),
    page("POST", "/province/prereview/forward", "empty form", "login in in in no no in"),
    page("POST", "/province/prereview/return", "empty form", "login in in in no no in"),
    page("GET", "/province/not-reported", "organisation A's members", "login listed no listed no no listed",
         params={"org": "@org_a", "campaign": "@open_campaign"}, listed="org_member_a"),
)


def route_keys(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app serves; HEAD is implied by GET, a mounted app counts as one ``MOUNT`` entry."""
    return set(_walk(app.routes, ""))


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
    from starlette.routing import Mount

    for route in routes:
        if hasattr(route, "original_router") and hasattr(route, "include_context"):
            # FastAPI ≥ 0.16x keeps included routers as lazy ``_IncludedRouter`` nodes: descend into them.
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
            continue
        if isinstance(route, Mount):
            yield "MOUNT", prefix + route.path
            continue
        methods = set(getattr(route, "methods", None) or ())
        if "GET" in methods:
            methods.discard("HEAD")
        for method in methods:
            yield method, prefix + route.path


def covered_keys() -> set[tuple[str, str]]:
    return {(case.method, case.route) for case in CASES}
