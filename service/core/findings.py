"""The findings vocabulary: the one owner of every finding code the workers publish and the people see.

Detectors publish only codes defined here (``finding_type`` raises on any other); the review queue's filters, badges,
the risk score, dashboard counts, exports, the pages and the API all read names, kinds and severities from here.
Dependency-free on purpose: the API, the workers and the tests import it without pulling in models or databases.

* ``kind``: ``risk`` (an editor must look: promotion, unsafe content, duplicates), ``quality`` (technical defects that
  lower the pick, never block it) or ``fact`` (how screening went: a model not configured, OCR time, faces counted,
  capture time unknown). Facts are shown as facts, never as risks, and never count towards the risk score.
* ``severity``: weight in the risk score (risk findings only).
* ``filter``: the review queue's ``finding=`` filter this code belongs to (``None``: not filterable).
* ``evidence``: how the evidence in ``detail`` is shown (``text`` with OCR boxes, ``box`` for a code's position,
  ``frames`` for a video's worst frame, ``score``, ``facts`` for key/value facts, ``link`` to a duplicate).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class FindingKind(enum.StrEnum):
    risk = "risk"
    quality = "quality"
    fact = "fact"


class Severity(enum.IntEnum):
    none = 0
    low = 1
    medium = 2
    high = 3
    critical = 4


class Evidence(enum.StrEnum):
    text = "text"
    box = "box"
    frames = "frames"
    score = "score"
    facts = "facts"
    link = "link"


@dataclass(frozen=True)
class FindingFilter:
    """One option of the review queue's ``finding=`` filter."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class FindingType:
    code: str
    name_zh: str
    name_en: str
    kind: FindingKind
    severity: Severity
    filter: str | None
    evidence: Evidence
    description_zh: str = ""
    description_en: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh

    def description(self, lang: str = "zh") -> str:
        return self.description_en if lang.startswith("en") else self.description_zh

    @property
    def is_risk(self) -> bool:
        return self.kind is FindingKind.risk


#: The queue's ``finding=`` filter, in the order the pages list it.
FILTERS: tuple[FindingFilter, ...] = (
    FindingFilter("nudity", "裸露", "Nudity"),
    FindingFilter("violence", "暴力、武器、烟酒", "Violence, weapons, smoking, alcohol"),
    FindingFilter("qr", "二维码", "QR code"),
    FindingFilter("phone", "电话号码", "Phone number"),
    FindingFilter("price", "价格", "Price"),
    FindingFilter("promotion", "商业推广", "Commercial promotion"),
    FindingFilter("watermark", "平台水印", "Platform watermark"),
    FindingFilter("sensitive", "敏感词", "Sensitive words"),
    FindingFilter("low_quality", "质量不足", "Low quality"),
    FindingFilter("faces", "有人脸", "Faces"),
    FindingFilter("duplicate", "重复素材", "Duplicate"),
)
FILTER_CODES: frozenset[str] = frozenset(f.code for f in FILTERS)

R, Q, F = FindingKind.risk, FindingKind.quality, FindingKind.fact
S = Severity
E = Evidence

_TYPES: tuple[FindingType, ...] = (
    # --- risks: what an editor must look at before picking ----------------------------------------------------------
    FindingType("nudity", "疑似裸露", "Possible nudity", R, S.critical, "nudity", E.frames,
                "裸露检测模型判定画面可能含裸露内容", "the nudity models scored a frame as possibly explicit"),
    FindingType("violence", "疑似暴力", "Possible violence", R, S.high, "violence", E.frames),
    FindingType("weapon", "疑似武器", "Possible weapon", R, S.high, "violence", E.frames),
    FindingType("smoking", "疑似吸烟", "Possible smoking", R, S.medium, "violence", E.frames),
    FindingType("drinking", "疑似饮酒", "Possible drinking", R, S.low, "violence", E.frames),
    FindingType("qr", "二维码", "QR code", R, S.high, "qr", E.box,
                "画面中有二维码（常见于招生、商业推广）", "a QR code in the picture (typical of promotion)"),
    FindingType("barcode", "条形码", "Barcode", R, S.low, "qr", E.box),
    FindingType("phone", "电话号码", "Phone number", R, S.high, "phone", E.text,
                "画面或说明中有电话号码", "a phone number in the picture or the caption"),
    FindingType("price", "价格信息", "Price", R, S.high, "price", E.text),
    FindingType("promotion", "商业推广用语", "Promotional wording", R, S.medium, "promotion", E.text),
    FindingType("watermark", "其他平台水印", "Another platform's watermark", R, S.high, "watermark", E.text,
                "抖音、快手、小红书等平台的水印或账号（转载素材）",
                "a Douyin, Kuaishou, Xiaohongshu … mark or account (re-posted material)"),
    FindingType("sensitive", "敏感词", "Sensitive words", R, S.critical, "sensitive", E.text),
    FindingType("duplicate", "与其他素材重复", "Duplicate of another file", R, S.medium, "duplicate", E.link,
                "与已上传的素材相同或近似（可能来自其他单位），见重复组",
                "the same as or close to a file already uploaded (possibly by another organisation): see its cluster"),
    FindingType("capture_outside_week", "拍摄时间不在活动周内", "Taken outside the week", R, S.low, None, E.facts),
    FindingType("gps_outside_province", "拍摄地点不在本省", "Taken outside the submitter's province", R, S.low, None,
                E.facts),
    # --- quality: lowers the pick, never blocks it ------------------------------------------------------------------
    FindingType("blurry", "画面模糊", "Blurry", Q, S.none, "low_quality", E.score),
    FindingType("dark", "画面过暗", "Too dark", Q, S.none, "low_quality", E.score),
    FindingType("overexposed", "画面过曝", "Overexposed", Q, S.none, "low_quality", E.score),
    FindingType("low_resolution", "分辨率低", "Low resolution", Q, S.none, "low_quality", E.facts),
    FindingType("black_segment", "有黑屏片段", "Black segment", Q, S.none, "low_quality", E.frames),
    FindingType("frozen_segment", "有画面静止片段", "Frozen segment", Q, S.none, "low_quality", E.frames),
    FindingType("silence", "有静音片段", "Silent segment", Q, S.none, "low_quality", E.frames),
    FindingType("no_audio", "无声音", "No audio", Q, S.none, "low_quality", E.facts),
    FindingType("quiet", "音量过低", "Too quiet", Q, S.none, "low_quality", E.facts),
    FindingType("shaky", "画面抖动", "Shaky", Q, S.none, "low_quality", E.score),
    FindingType("too_short", "时长过短", "Too short", Q, S.none, "low_quality", E.facts),
    # --- facts: how screening went; shown as facts, never as risks -------------------------------------------------
    FindingType("faces", "有人脸", "Faces", F, S.none, "faces", E.box,
                "检测到的人脸（是否需要肖像授权另行核对）", "faces found (consent is checked separately)"),
    FindingType("model_not_configured", "模型未配置", "Model not configured", F, S.none, None, E.facts),
    FindingType("detector_failed", "检测未完成", "Detector failed", F, S.none, None, E.facts),
    FindingType("ocr_time", "文字识别耗时", "Text recognition time", F, S.none, None, E.facts),
    FindingType("nudity_checked", "已做裸露检测", "Nudity checked", F, S.none, None, E.score),
    FindingType("capture_in_week", "拍摄于活动周内", "Taken during the week", F, S.none, None, E.facts),
    FindingType("capture_unknown", "拍摄时间未知", "Capture time unknown", F, S.none, None, E.facts),
    FindingType("gps_in_province", "拍摄地点在本省", "Taken in the submitter's province", F, S.none, None, E.facts),
)

FINDINGS: Mapping[str, FindingType] = MappingProxyType({t.code: t for t in _TYPES})
assert len(FINDINGS) == len(_TYPES), "finding codes must be unique"
assert all(t.filter is None or t.filter in FILTER_CODES for t in _TYPES), "unknown filter"
#: For the database column and the API enum.
CODES: tuple[str, ...] = tuple(t.code for t in _TYPES)
RISK_CODES: frozenset[str] = frozenset(t.code for t in _TYPES if t.kind is FindingKind.risk)


class UnknownFinding(KeyError):
    """A detector tried to publish a code the vocabulary does not define."""


def finding_type(code: str) -> FindingType:
    """The vocabulary entry for ``code``; raises ``UnknownFinding`` for any code not defined here."""
    try:
        return FINDINGS[code]
    except KeyError:
        raise UnknownFinding(code) from None


def finding_name(code: str, lang: str = "zh") -> str:
    return finding_type(code).name(lang)


def codes_for_filter(filter_code: str) -> tuple[str, ...]:
    """Every finding code a queue filter matches (``qr`` → ``qr``, ``barcode``)."""
    if filter_code not in FILTER_CODES:
        raise UnknownFinding(filter_code)
    return tuple(t.code for t in _TYPES if t.filter == filter_code)


def queue_flags(codes: Iterable[str]) -> list[str]:
    """The codes the review queue filters and badges on: risks, quality issues and filterable facts (faces); facts
    without a filter (OCR time, a model not configured, capture time) are shown with the findings only."""
    return sorted({c for c in codes if (t := finding_type(c)).kind is not FindingKind.fact or t.filter is not None})


def risk_score(codes: Iterable[str]) -> float:
    """0–1 ranking of risk: severity-weighted over *risk* findings only (facts and quality never count).

    The highest severity dominates (critical > high > medium > low) and further distinct risks break ties, so any photo
    with a QR code, phone number, price or platform watermark ranks above every photo without a risk.
    """
    severities = sorted((finding_type(c).severity for c in set(codes) if c in RISK_CODES), reverse=True)
    if not severities:
        return 0.0
    top = int(severities[0])
    extra = sum(int(s) for s in severities[1:])
    return round(min(1.0, (top + min(extra, 8) / 9) / (int(Severity.critical) + 1)), 4)


def vocabulary(lang: str = "zh") -> list[dict[str, object]]:
    """The vocabulary as the API publishes it (``GET /api/v1/findings``)."""
    return [{"code": t.code, "name": t.name(lang), "name_zh": t.name_zh, "name_en": t.name_en, "kind": t.kind.value,
             "severity": int(t.severity), "filter": t.filter, "evidence": t.evidence.value} for t in _TYPES]


def markdown() -> str:
    """The vocabulary as the table in docs/SCREENING.md (``python -m service.core.findings``; a test keeps it equal)."""
    rows = ["| code | 名称 | name | kind | severity | filter | evidence |", "|---|---|---|---|---:|---|---|"]
    rows += [f"| `{t.code}` | {t.name_zh} | {t.name_en} | {t.kind.value} | {int(t.severity)} | "
             f"{f'`{t.filter}`' if t.filter else ''} | {t.evidence.value} |" for t in _TYPES]
    rows += ["", "| filter `finding=` | 名称 | name | codes |", "|---|---|---|---|"]
    rows += [f"| `{f.code}` | {f.name_zh} | {f.name_en} | {', '.join(f'`{c}`' for c in codes_for_filter(f.code))} |"
             for f in FILTERS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())  # noqa: T201
