"""Decisions editors can take and the reasons a submitter is shown (zh-CN, English, what to do)."""

from __future__ import annotations

import enum


class Action(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    feature = "feature"  # 精选: picked for central media
    return_ = "return"  # send back for better material

    @property
    def status(self) -> str:
        return {"approve": "approved", "reject": "rejected", "feature": "featured", "return": "returned"}[self.value]

    @property
    def needs_reason(self) -> bool:
        return self in (Action.reject, Action.return_)


#: reason code -> (zh-CN, English, what the submitter can do, zh-CN)
REASONS: dict[str, tuple[str, str, str]] = {
    "off_topic": ("与活动周主题无关", "not about the Activity Week", "请提交活动周期间开展活动的素材"),
    "commercial": ("含商业推广内容", "commercial promotion", "活动周坚持公益属性，请删除商业宣传内容后重新提交"),
    "low_quality": ("画面质量不足（模糊、过暗或分辨率低）", "insufficient quality (blur, exposure or resolution)",
                    "请提交原始文件或更清晰的照片/视频"),
    "duplicate": ("与已有素材重复", "duplicate of existing material", "无需重复提交；如有不同角度请补充新素材"),
    "consent": ("缺少肖像使用授权（含未成年人监护人同意）", "missing portrait consent (incl. guardians of minors)",
                "请取得授权后在报送信息中勾选“已取得肖像授权”"),
    "watermark": ("带有其他平台水印（转载素材）", "watermarked re-post from another platform",
                  "请提交本单位拍摄的原始素材"),
    "sensitive": ("含不宜公开发布的内容", "content not suitable for publication", "请更换素材"),
    "caption": ("说明信息不完整或不准确", "caption incomplete or inaccurate", "请补充时间、地点、人物和活动内容"),
    "other": ("其他原因（见说明）", "other (see note)", "请按编辑说明修改后重新提交"),
}


#: reason code -> what the submitter can do, in English (the zh-CN advice is the third element of ``REASONS``)
ADVICE_EN: dict[str, str] = {
    "off_topic": "Send material from activities held during the Activity Week",
    "commercial": "The week is a public-interest event: remove the commercial promotion and send it again",
    "low_quality": "Send the original file or a sharper photo or video",
    "duplicate": "No need to send it again; add new material if you have other angles",
    "consent": "Obtain consent, then tick “portrait consent obtained” in the submission",
    "watermark": "Send original material shot by your organisation",
    "sensitive": "Replace this file",
    "caption": "Add when, where, who and what happened to this file's caption",
    "other": "Fix it as the editor's note says and send it again",
}


def reason_label(code: str | None, lang: str = "zh") -> str:
    if not code or code not in REASONS:
        return ""
    zh, en, _ = REASONS[code]
    return zh if lang == "zh" else en


def reason_advice(code: str | None) -> str:
    return REASONS[code][2] if code in REASONS else ""
