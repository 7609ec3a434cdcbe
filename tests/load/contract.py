"""Which public endpoints the instance under load offers, read from its /openapi.json and a tus OPTIONS.

The load drives the review queue and the portal when they exist, and says plainly in the report when a part of the
scenario fell back (e.g. outlets downloading originals through an admin token before the portal existed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Contract:
    tus: bool
    tus_extensions: tuple[str, ...]
    review_queue: str | None  # GET path listing assets awaiting review
    review_claim: str | None  # POST path with {asset_id}
    review_decision: str | None  # POST path with {asset_id}
    portal_assets: str | None  # GET path listing released assets (outlets)
    portal_download: str | None  # GET path with {asset_id} (and maybe {rendition}) giving the bytes / a redirect
    collections: str | None = None  # POST path creating a released collection (editors)

    def notes(self) -> list[str]:
        notes = []
        if not self.tus:
            notes.append("tus endpoint /api/v1/uploads not offered: no uploads were made")
        if not self.review_queue:
            notes.append("no review queue API: editors paged GET /api/v1/assets?status=ready instead")
        if not self.review_decision:
            notes.append("no review decision API: editors only read assets")
        if not (self.portal_download and self.portal_assets and self.collections):
            notes.append("no portal download API: outlets' downloads were made as GET /api/v1/assets/{id}/original "
                         "with an admin token (the same presigned-URL path)")
        return notes


def _first(paths: dict[str, dict[str, object]], method: str, pattern: str, params: bool | None) -> str | None:
    regex = re.compile(pattern)
    for path in sorted(paths, key=len):
        if method in paths[path] and regex.search(path) and (params is None or ("{" in path) == params):
            return path
    return None


def discover(base: str, token: str) -> Contract:
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    paths: dict[str, dict[str, object]] = spec.get("paths", {})
    options = httpx.request("OPTIONS", f"{base}/api/v1/uploads", headers={"Tus-Resumable": "1.0.0",
                                                                           "Authorization": f"Bearer {token}"},
                            timeout=30)
    tus = "tus-version" in options.headers or "tus-resumable" in options.headers
    extensions = tuple(e.strip() for e in options.headers.get("tus-extension", "").split(",") if e.strip())
    return Contract(
        tus=tus,
        tus_extensions=extensions,
        review_queue=_first(paths, "get", r"^/api/v1/review/(queue|assets|items)$", False),
        review_claim=_first(paths, "post", r"^/api/v1/review/.*\{[a-z_]*id\}/claim$", True),
        review_decision=_first(paths, "post", r"^/api/v1/review/.*\{[a-z_]*id\}/(decision|decide)s?$", True),
        portal_assets=_first(paths, "get", r"^/api/v1/portal/(assets|search)$", False),
        portal_download=_first(paths, "get", r"^/api/v1/portal/assets/\{[a-z_]*id\}/(download|renditions/\{[a-z_]+\})",
                               True),
        collections=_first(paths, "post", r"^/api/v1/collections$", False),
    )
