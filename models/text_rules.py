"""Commercial promotion and text rules over OCR text and captions (the week is public-interest only, 公益属性).

Every hit is a ``RuleHit`` with a raw label (``watermark:douyin``), the matched text and where it came from; the text
detector plugin (``workers.screening.text.finding_of``) is the one place they become vocabulary codes. The
sensitive-word list is a data file (``MEDIADESK_SENSITIVE_WORDS_FILE`` replaces the default).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# Mainland mobile (1[3-9]x, 11 digits), landlines with area code, 400/800 hotlines; separators tolerated.
PHONE = re.compile(
    r"(?<!\d)(?:\+?86[-\s]?)?(?:1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}|0\d{2,3}[-\s]?\d{7,8}|[48]00[-\s]?\d{3}[-\s]?\d{4})(?!\d)"
)
PRICE = re.compile(
    r"(?:[¥￥]\s?\d+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?\s?(?:元|块钱)(?!素|旦|宵|首|件|器)|(?:原价|特价|现价|售价|优惠价|秒杀|折扣|包邮)\s?\d*)"
)
PROMOTION_WORDS = (
    "限时优惠", "优惠", "促销", "特价", "打折", "折扣", "大甩卖", "清仓", "包邮", "抢购", "秒杀", "下单", "购买",
    "团购", "招商加盟", "加盟", "代理", "专卖店", "旗舰店", "官方旗舰", "扫码购", "扫码关注", "报名热线", "招生热线",
    "咨询热线", "咨询电话", "优惠券", "买一送一", "免费领取", "进店", "淘宝", "天猫", "京东", "拼多多",
    "新店开业", "开业大吉", "开业酬宾", "酬宾",
)
#: A discount: 八折, 8.8折, 五折起 (not 曲折, 折叠, 骨折: a numeral must come first).
DISCOUNT = re.compile(r"(?:[一二三四五六七八九]|\d(?:\.\d)?)折(?![叠纸扇线])")
#: Platform names and watermark forms of re-posted material: 抖音号: xxx, @快手, 小红书号 …
PLATFORMS = {
    "douyin": ("抖音", "douyin", "tiktok"),
    "kuaishou": ("快手", "kuaishou"),
    "xiaohongshu": ("小红书", "xiaohongshu", "rednote"),
    # an account line (微信号 / 公众号：name), not a school inviting people to follow its own official account
    "wechat": ("微信号", "公众号：", "公众号:", "wechat"),
    "channels": ("视频号",),
    "weibo": ("微博", "weibo"),
    "bilibili": ("哔哩哔哩", "bilibili", "b站"),
    "xigua": ("西瓜视频",),
}


@dataclass(frozen=True)
class RuleHit:
    label: str  # phone | price | promotion | watermark:<platform> | sensitive
    text: str
    source: str  # ocr | caption


def sensitive_words_file() -> Path:
    return Path(os.environ.get("MEDIADESK_SENSITIVE_WORDS_FILE") or DATA / "sensitive_words.txt")


@lru_cache(maxsize=4)
def _load_words(path: Path, mtime: float) -> tuple[str, ...]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(sorted({line for line in lines if line}))


def sensitive_words() -> tuple[str, ...]:
    path = sensitive_words_file()
    return _load_words(path, path.stat().st_mtime) if path.exists() else ()


def compact(text: str) -> str:
    # OCR drops or inserts spaces inconsistently inside Chinese text; rules match on a compacted copy
    return re.sub(r"[\s\u3000]+", "", text)


def check_text(text: str, source: str) -> list[RuleHit]:
    """All rule hits in ``text`` (deduplicated, in a stable order)."""
    if not text.strip():
        return []
    compact_text = compact(text)
    lower = compact_text.lower()
    hits: list[RuleHit] = []
    hits += [RuleHit("phone", m.group(0), source) for m in PHONE.finditer(text)]
    hits += [RuleHit("phone", m.group(0), source) for m in PHONE.finditer(compact_text)]
    hits += [RuleHit("price", m.group(0), source) for m in PRICE.finditer(compact_text)]
    hits += [RuleHit("promotion", w, source) for w in PROMOTION_WORDS if w in compact_text]
    hits += [RuleHit("promotion", m.group(0), source) for m in DISCOUNT.finditer(compact_text)]
    for platform, names in PLATFORMS.items():
        hits += [RuleHit(f"watermark:{platform}", n, source) for n in names if n in lower]
    hits += [RuleHit("sensitive", w, source) for w in sensitive_words() if w in compact_text]
    seen: set[tuple[str, str]] = set()
    unique = []
    for hit in hits:
        key = (hit.label, re.sub(r"\D", "", hit.text) if hit.label == "phone" else hit.text)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique
