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

#: theme tags a submitter may attach (三融, 四开放, 三贴近, 两走进 …)
THEME_TAGS: tuple[str, ...] = (
    "职普融通", "产教融合", "科教融汇",
    "开放企业", "开放校园", "开放院所", "开放赛场",
    "贴近社会", "贴近生活", "贴近群众",
    "走进社区", "走进乡村",
    "技能展示", "志愿服务", "大国工匠", "技能大赛", "乡村振兴",
)
#: English names of the theme tags (for English pages; the tag itself stays the Chinese term)
THEME_TAGS_EN: dict[str, str] = {
    "职普融通": "Vocational and general education together", "产教融合": "Industry–education integration",
    "科教融汇": "Science and education together", "开放企业": "Open companies", "开放校园": "Open campus",
    "开放院所": "Open institutes", "开放赛场": "Open competitions", "贴近社会": "Close to society",
    "贴近生活": "Close to daily life", "贴近群众": "Close to the people", "走进社区": "Into communities",
    "走进乡村": "Into villages", "技能展示": "Skills on show", "志愿服务": "Volunteering",
    "大国工匠": "Master craftsmen",
    "技能大赛": "Skills competitions", "乡村振兴": "Rural revitalisation",
}
