"""``/web/media/{asset_id}/{name}``: a rendition for <img>/<video> tags, via a short-lived presigned redirect.

Access is checked like the assets API (organisation scope; staff see all). A missing rendition answers with a
placeholder image instead of a broken-image icon, since thumbnails of assets still processing are expected to be absent.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from service.assets.service import get_asset
from service.core.config import get_settings
from service.core.deps import PrincipalDep, SessionDep
from service.core.storage import get_storage

router = APIRouter(include_in_schema=False)

#: what a page asks for -> renditions to try, best first (names from the processing issue)
FALLBACKS: dict[str, tuple[str, ...]] = {
    "thumb": ("thumb", "poster"),
    "preview": ("preview", "web", "poster", "thumb"),
    "poster": ("poster", "preview", "thumb"),
    "proxy": ("proxy_720p", "broadcast_1080p"),
    "sprite": ("sprite",),
    "zoom": ("web", "preview"),  # the editors' zoom view: the 2560 px rendition
}
PLACEHOLDER = "/static/img/placeholder.svg"


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/img/favicon.svg", status_code=301)


@router.get("/web/media/{asset_id}/{name}")
def media(asset_id: uuid.UUID, name: str, principal: PrincipalDep, session: SessionDep) -> RedirectResponse:
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    renditions = {r.name: r for r in asset.renditions}
    for candidate in FALLBACKS.get(name, ()):
        rendition = renditions.get(candidate)
        if rendition is not None:
            ttl = get_settings().presign_ttl_seconds
            url = get_storage().presigned_get(rendition.key, ttl_seconds=ttl, content_type=rendition.mime)
            # Cached for less than the URL lives, so a cached redirect never points at an expired URL.
            return RedirectResponse(url, status_code=302, headers={"Cache-Control": f"private, max-age={ttl // 2}"})
    return RedirectResponse(PLACEHOLDER, status_code=302, headers={"Cache-Control": "no-store"})
