"""create_app(): the FastAPI application (API, tus uploads, web pages)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.accounts.endpoints import router as accounts_router
from service.accounts.pages import router as accounts_pages_router
from service.assets.clusters import router as clusters_router
from service.assets.endpoints import router as assets_router
from service.auditlog.endpoints import router as audit_router
from service.auditlog.pages import router as audit_pages_router
from service.campaigns.endpoints import router as campaigns_router
from service.campaigns.pages import router as campaign_pages_router
from service.consent.endpoints import router as consent_router
from service.consent.pages import router as consent_pages_router
from service.core import errors, openapi
from service.core.inputguard import QueryTextGuard
from service.documents.endpoints import router as documents_router
from service.hierarchy.endpoints import router as hierarchy_router
from service.hierarchy.pages import router as hierarchy_pages_router
from service.ingest.endpoints import router as submissions_router
from service.ingest.tus import TusHeaders
from service.ingest.tus import router as tus_router
from service.notify.endpoints import router as notify_router
from service.notify.pages import router as notify_pages_router
from service.ops import observability
from service.ops.health import router as health_router
from service.portal.curation_endpoints import router as curation_router
from service.portal.curation_pages import router as curation_pages_router
from service.portal.endpoints import router as portal_router
from service.portal.pages import router as portal_pages_router
from service.reporting.desk_pages import router as report_desk_pages_router
from service.reporting.endpoints import router as reporting_router
from service.reporting.pages import router as reporting_pages_router
from service.reports.endpoints import router as reports_router
from service.retention.endpoints import router as retention_router
from service.retention.pages import router as retention_pages_router
from service.review.endpoints import router as review_router
from service.takedown.endpoints import router as takedown_router
from service.web import deps as web_deps
from service.web.auth import router as web_auth_router
from service.web.media import router as web_media_router
from service.web.middleware import WebSessionMiddleware
from service.web.review_actions import router as review_actions_router
from service.web.review_pages import router as review_pages_router
from service.web.submit_pages import router as submit_pages_router
from service.web.templating import HERE as WEB_DIR


def create_app() -> FastAPI:
    app = FastAPI(
        title="mediadesk",
        version="0.1.0",
        description=(
            "职业教育活动周 媒体素材管理与审核 / media asset management for the Vocational Education Activity Week"
        ),
    )
    errors.install(app)
    openapi.install(app)
    web_deps.install(app)
    app.add_middleware(TusHeaders)
    app.add_middleware(WebSessionMiddleware)
    app.add_middleware(QueryTextGuard)
    observability.install(app)  # last added = outermost: request ids and latency cover every other layer
    app.include_router(health_router)
    app.include_router(submissions_router)
    app.include_router(assets_router)
    app.include_router(clusters_router)
    app.include_router(tus_router)
    app.include_router(review_router)
    app.include_router(curation_router)
    app.include_router(portal_router)
    app.include_router(reports_router)
    app.include_router(documents_router)
    # after the exports: /api/v1/reports/week-summary etc. must not be read as a report id
    app.include_router(reporting_router)
    app.include_router(takedown_router)
    app.include_router(campaigns_router)
    app.include_router(campaign_pages_router)
    app.include_router(notify_router)
    app.include_router(notify_pages_router)
    app.include_router(accounts_router)
    app.include_router(audit_router)
    app.include_router(hierarchy_router)
    app.include_router(consent_router)
    app.include_router(retention_router)
    app.include_router(portal_pages_router)
    app.include_router(curation_pages_router)
    app.include_router(web_auth_router)
    app.include_router(web_media_router)
    app.include_router(submit_pages_router)
    app.include_router(review_pages_router)
    app.include_router(review_actions_router)
    app.include_router(accounts_pages_router)
    app.include_router(audit_pages_router)
    app.include_router(hierarchy_pages_router)
    app.include_router(reporting_pages_router)
    app.include_router(report_desk_pages_router)
    app.include_router(consent_pages_router)
    app.include_router(retention_pages_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app
