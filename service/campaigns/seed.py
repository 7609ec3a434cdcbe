"""The shipped taxonomy and theme tags (``seed_taxonomy.json``, from the ministry's notice): only a seed.

A new campaign gets a copy (``copy_seed``); from then on the campaign's stored taxonomy is the one owner, edited on
the campaign pages, and the tag step and the forms read it (``service.db.campaign.campaign_taxonomy``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from service.db.campaign import Campaign, CampaignFacet, CampaignTag, CampaignThemeTag

SEED_FILE = Path(__file__).resolve().parent / "seed_taxonomy.json"


@lru_cache(maxsize=1)
def seed_document() -> dict[str, Any]:
    """``{week_keywords, theme_tags: [{name, en}], facets: [{code, name, en, tags: [{name, en, keywords,
    visual_prompt?}]}]}``."""
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def seed_visual_prompts() -> dict[str, str]:
    return {t["name"]: t["visual_prompt"] for f in seed_document()["facets"] for t in f["tags"]
            if t.get("visual_prompt")}


def seed_theme_names_en() -> dict[str, str]:
    """English names of the seed's theme tags (pages name a tag outside any campaign's context by these)."""
    return {t["name"]: t["en"] for t in seed_document()["theme_tags"]}


def copy_seed(session: Session, campaign: Campaign, document: dict[str, Any] | None = None) -> None:
    """Give ``campaign`` its own copy of the seed (or of ``document``, e.g. another campaign's taxonomy)."""
    doc = document or seed_document()
    campaign.week_keywords = list(doc.get("week_keywords", []))
    for position, theme in enumerate(doc["theme_tags"]):
        session.add(CampaignThemeTag(campaign_id=campaign.id, name=theme["name"], name_en=theme.get("en", ""),
                                     position=position))
    for f_pos, facet in enumerate(doc["facets"]):
        row = CampaignFacet(campaign_id=campaign.id, code=facet["code"], name=facet["name"],
                            name_en=facet.get("en", ""), position=f_pos)
        session.add(row)
        session.flush()
        for t_pos, tag in enumerate(facet["tags"]):
            session.add(CampaignTag(campaign_id=campaign.id, facet_id=row.id, name=tag["name"],
                                    name_en=tag.get("en", ""), synonyms=list(tag.get("keywords", [])),
                                    visual_prompt=tag.get("visual_prompt") or None, position=t_pos))
    session.flush()
