"""Controlled vocabulary of the Activity Week used by submission metadata (from the ministry's notice)."""

from __future__ import annotations

#: submission category -> (zh-CN, English)
CATEGORIES: dict[str, tuple[str, str]] = {
    "activity_photos": ("活动图片", "activity photos"),
    "activity_video": ("活动视频", "activity video"),
    "typical_case": ("典型案例", "typical case"),
    "news_report": ("新闻稿件", "news report"),
    "launch_ceremony": ("启动仪式", "launch ceremony"),
    "summary": ("活动总结", "summary"),
}

# Theme tags and the taxonomy are stored per campaign (service.db.campaign); the shipped seed they start from is
# service/campaigns/seed_taxonomy.json.
