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
    Case("GET", "/api/v1/portal/assets", "released to outlet X", "401 no no no listed hidden listed",
         listed="asset_released_x"),
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
