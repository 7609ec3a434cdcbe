"""The screening evaluation set: real photos from ``../shared/media/photos`` with Chinese text rendered on them.

``build_set(root)`` writes the images (JPEG q85, long side ≤ 2560 px, the ``web`` rendition's size) into ``root`` and
returns one ``EvalItem`` per image with its ground truth: the text lines as rendered and the finding codes
(``service.core.findings``) that screening should report. Deterministic: the same photos give the same files.

Kinds (one per image, so accuracy can be read per category):

* ``banner``   full-width activity banner, 5–8 % of the image height (two are promotion banners)
* ``sign``     shop sign on a board, 4–6 %, some turned by 4°
* ``phone``    phone numbers on a plate, 2.5–5 %
* ``price``    prices on a plate, 2.5–5 %
* ``watermark`` platform mark (白色「抖音」…) and its account line, white (80 % opaque) on the brightest
               photos; the account line at 2–2.5 %
* ``vertical`` vertical sign, one character under the other, each 3.5–5 %
* ``small``    captions and credits at 2–2.5 % of the image height, on a plate or outlined on the photo
* ``sensitive`` words from the sensitive-word list on a plate
* ``qr``       a QR code (segno), some with a caption
* ``clean``    the photo itself, no text added (some photos carry text of their own; no finding expected)
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, ImageStat

from service.core.findings import FINDINGS
from tests.screening_media import cjk_font

REPO = Path(__file__).resolve().parents[2]
LONG_SIDE = 2560


class MediaMissing(RuntimeError):
    """The real photos (``../shared/media/photos``) are not on this machine."""


@dataclass(frozen=True)
class EvalItem:
    path: Path
    lines: tuple[str, ...]  # text lines as rendered, in reading order (what a perfect OCR returns)
    codes: frozenset[str]  # finding codes screening should report (vocabulary codes)
    kind: str  # banner | sign | phone | price | watermark | vertical | small | sensitive | qr | clean
    photo: str = ""  # the real photo underneath
    height: float = 0.0  # text height as a fraction of the image height (0 for no text)


# (lines, codes) per kind; the codes are what the text rules should find in those lines.
BANNERS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("2023年职业教育活动周 技能：让生活更美好",), frozenset()),
    (("职业教育活动周开放日 欢迎社会各界走进校园",), frozenset()),
    (("产教融合 校企合作 共育大国工匠",), frozenset()),
    (("技能成才 技能报国",), frozenset()),
    (("职普融通 产教融合 科教融汇",), frozenset()),
    (("弘扬劳动精神 展示技能风采",), frozenset()),
    (("限时优惠 买一送一",), frozenset({"promotion"})),
    (("招商加盟火热进行中",), frozenset({"promotion"})),
)
SIGNS = (
    (("老王家电维修",), frozenset()),
    (("巧手烘焙工坊",), frozenset()),
    (("汽车美容养护中心",), frozenset()),
    (("品牌服饰专卖店",), frozenset({"promotion"})),
    (("茶叶官方旗舰店",), frozenset({"promotion"})),
    (("数控加工实训中心",), frozenset()),
)
PHONES = (
    (("联系电话 13812345678",), frozenset({"phone"})),
    (("138 1234 5678",), frozenset({"phone"})),
    (("服务热线 400-820-8820",), frozenset({"phone"})),
    (("电话：0755-26543210",), frozenset({"phone"})),
    (("报名热线：15912345678",), frozenset({"phone", "promotion"})),
    (("手机 18900001234",), frozenset({"phone"})),
)
PRICES = (
    (("特价 ¥39.9",), frozenset({"price", "promotion"})),
    (("每斤 12.8元",), frozenset({"price"})),
    (("套餐 68元/位",), frozenset({"price"})),
    (("原价199元 现价99元",), frozenset({"price"})),
    (("￥2999起",), frozenset({"price"})),
    (("学费 4800元/学期",), frozenset({"price"})),
)
WATERMARKS = (
    (("抖音", "抖音号：zjvtc2023"), frozenset({"watermark"})),
    (("抖音", "抖音号：88123456"), frozenset({"watermark"})),
    (("抖音", "抖音号：jineng_show"), frozenset({"watermark"})),
    (("快手", "快手号：kw20230516"), frozenset({"watermark"})),
    (("小红书", "小红书号：123456789"), frozenset({"watermark"})),
)
VERTICALS = (
    (("职业技能大赛",), frozenset()),
    (("非遗传承工作室",), frozenset()),
    (("中医推拿",), frozenset()),
    (("百年老字号",), frozenset()),
    (("烟酒专卖店",), frozenset({"promotion"})),
)
SMALL = (
    (("摄影：李明 2023年5月16日",), frozenset()),
    (("浙江机电职业技术学院实训中心",), frozenset()),
    (("数控加工实训室安全操作规程",), frozenset()),
    (("第十届职业技能展示活动",), frozenset()),
    (("欢迎参观指导",), frozenset()),
    (("校企合作育人基地",), frozenset()),
)
SENSITIVE = (
    (("代开发票 13800001111",), frozenset({"sensitive", "phone"})),
    (("刷单兼职 日结",), frozenset({"sensitive"})),
)
QR_CAPTIONS = ((), (), ("扫码关注 了解更多",), ())


def media_dir() -> Path:
    """``../shared/media/photos`` beside the repository (or beside a folder above it, for git worktrees)."""
    for parent in (REPO, *REPO.parents):
        candidate = parent.parent / "shared" / "media" / "photos"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "media" / "photos"


def photos(folder: Path | None = None) -> dict[str, Image.Image]:
    """The real photos, EXIF-oriented, RGB, long side ≤ ``LONG_SIDE`` (sorted by name); ``MediaMissing`` if absent."""
    folder = folder or media_dir()
    if not folder.is_dir():
        raise MediaMissing(f"no real photos at {folder.resolve()} (the evaluation set is built from ../shared/media)")
    import pillow_heif

    pillow_heif.register_heif_opener()
    found: dict[str, Image.Image] = {}
    for path in sorted(folder.iterdir()):
        try:
            with Image.open(path) as opened:
                opened.draft("RGB", (LONG_SIDE, LONG_SIDE))
                image = ImageOps.exif_transpose(opened).convert("RGB")
        except OSError:
            continue
        if max(image.size) > LONG_SIDE:
            image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        found[path.name] = image
    if not found:
        raise MediaMissing(f"no readable photos in {folder.resolve()}")
    return found


@lru_cache(maxsize=256)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = cjk_font(max(8, size))
    if font is None:
        raise MediaMissing("no CJK font to draw Chinese (apt-get install fonts-wqy-zenhei)")
    return font


def _fit(text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The font at ``size`` px, smaller if ``text`` would not fit into ``width``."""
    font = _font(size)
    while size > 8 and font.getlength(text) > width:
        size = int(size * 0.94)
        font = _font(size)
    return font


def _banner(image: Image.Image, lines: tuple[str, ...], rng: random.Random) -> float:
    w, h = image.size
    frac = rng.uniform(0.05, 0.08)
    font = _fit(lines[0], round(frac * h), round(0.92 * w))
    band = round(font.size * 1.8)
    top = rng.choice((round(0.04 * h), h - band - round(0.04 * h)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, top, w, top + band), fill=rng.choice(((190, 20, 30), (200, 30, 40), (170, 10, 20))))
    x = (w - font.getlength(lines[0])) / 2
    draw.text(
        (x, top + (band - font.size) / 2),
        lines[0],
        font=font,
        fill=rng.choice(((255, 235, 160), (255, 255, 255), (255, 220, 0))),
    )
    return font.size / h


def _plate(
    image: Image.Image,
    lines: tuple[str, ...],
    rng: random.Random,
    frac: tuple[float, float],
    colours: tuple[tuple[int, int, int], tuple[int, int, int]],
    tilt: float = 0.0,
) -> float:
    """A board of colour ``colours[0]`` with the line in ``colours[1]``, turned by ``tilt`` degrees."""
    w, h = image.size
    font = _fit(lines[0], round(rng.uniform(*frac) * h), round(0.8 * w))
    pad = round(font.size * 0.4)
    tw = round(font.getlength(lines[0]))
    x = rng.randint(round(0.04 * w), max(round(0.04 * w), w - tw - 2 * pad - round(0.04 * w)))
    y = rng.randint(round(0.1 * h), round(0.85 * h) - font.size)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((x, y, x + tw + 2 * pad, y + font.size + 2 * pad), fill=(*colours[0], 255))
    draw.text((x + pad, y + pad), lines[0], font=font, fill=(*colours[1], 255))
    if tilt:
        layer = layer.rotate(tilt, Image.Resampling.BICUBIC, center=(x + tw / 2, y + font.size / 2))
    image.paste(Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB"))
    return font.size / h


def _caption(image: Image.Image, lines: tuple[str, ...], rng: random.Random, frac: tuple[float, float]) -> float:
    """Text straight on the photo, light with a thin dark outline (how editors caption photos)."""
    w, h = image.size
    font = _fit(lines[0], round(rng.uniform(*frac) * h), round(0.8 * w))
    tw = round(font.getlength(lines[0]))
    x = rng.randint(round(0.04 * w), max(round(0.04 * w), w - tw - round(0.04 * w)))
    y = rng.randint(round(0.1 * h), round(0.9 * h) - font.size)
    ImageDraw.Draw(image).text(
        (x, y),
        lines[0],
        font=font,
        fill=(250, 250, 250),
        stroke_width=max(1, font.size // 12),
        stroke_fill=(30, 30, 30),
    )
    return font.size / h


def _watermark(image: Image.Image, lines: tuple[str, ...], rng: random.Random) -> float:
    """White mark and account line with a faint shadow (as the apps draw them), bottom or top right/left."""
    w, h = image.size
    big = _font(round(rng.uniform(0.035, 0.045) * h))
    small = _font(round(rng.uniform(0.02, 0.025) * h))
    right = rng.random() < 0.5
    x0 = round(0.05 * w)
    y = round(rng.choice((0.06, 0.78)) * h)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for font, text in ((big, lines[0]), (small, lines[1])):
        x = w - x0 - font.getlength(text) if right else x0
        draw.text((x + 1, y + 1), text, font=font, fill=(0, 0, 0, 40))
        draw.text((x, y), text, font=font, fill=(255, 255, 255, 200))
        y += round(font.size * 1.35)
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))
    return small.size / h


def _vertical(image: Image.Image, lines: tuple[str, ...], rng: random.Random) -> float:
    w, h = image.size
    text = lines[0]
    size = round(rng.uniform(0.035, 0.05) * h)
    size = min(size, round(0.8 * h / (len(text) * 1.15)))
    font = _font(size)
    pad = round(size * 0.4)
    x = rng.choice((round(0.05 * w), w - size - 2 * pad - round(0.05 * w)))
    y = round(0.08 * h)
    draw = ImageDraw.Draw(image)
    board = rng.choice((((20, 60, 40), (255, 215, 0)), ((120, 20, 20), (255, 255, 255)), ((240, 240, 230), (0, 0, 0))))
    draw.rectangle((x, y, x + size + 2 * pad, y + round(len(text) * size * 1.15) + 2 * pad), fill=board[0])
    for i, char in enumerate(text):
        draw.text((x + pad, y + pad + round(i * size * 1.15)), char, font=font, fill=board[1])
    return size / h


def _qr(image: Image.Image, lines: tuple[str, ...], rng: random.Random, index: int) -> float:
    import segno

    w, h = image.size
    buffer = io.BytesIO()
    segno.make(f"https://mp.example.cn/s/{index:04d}?from=qr", error="m").save(buffer, kind="png", scale=10, border=2)
    side = round(rng.uniform(0.16, 0.24) * min(w, h))
    code = Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    x, y = w - side - round(0.05 * w), h - side - round(0.12 * h)
    image.paste(code, (x, y))
    if lines:
        font = _fit(lines[0], round(0.035 * h), round(0.5 * w))
        tx = max(0, x + side - round(font.getlength(lines[0])))
        draw = ImageDraw.Draw(image)
        draw.rectangle((tx - 6, y + side + 6, x + side + 6, y + side + 12 + font.size + 6), fill=(255, 255, 255))
        draw.text((tx, y + side + 12), lines[0], font=font, fill=(20, 20, 20))
        return font.size / h
    return 0.0


def _brightness(image: Image.Image) -> float:
    small = image.convert("L").resize((64, 64))
    return float(ImageStat.Stat(small).mean[0])


def _plan(names: list[str], bright: list[str]) -> Iterator[tuple[str, str, tuple[str, ...], frozenset[str]]]:
    """(kind, photo, lines, codes) for every item, photos taken in turn so each kind sees varied backgrounds."""
    counter = 0

    def turn() -> str:
        nonlocal counter
        counter += 1
        return names[(counter * 7) % len(names)]

    for kind, table in (
        ("banner", BANNERS),
        ("sign", SIGNS),
        ("phone", PHONES),
        ("price", PRICES),
        ("vertical", VERTICALS),
        ("small", SMALL),
        ("sensitive", SENSITIVE),
    ):
        for lines, codes in table:
            yield kind, turn(), lines, codes
    for i, (lines, codes) in enumerate(WATERMARKS):
        yield "watermark", bright[i % len(bright)], lines, codes
    for caption in QR_CAPTIONS:
        yield "qr", turn(), caption, frozenset({"qr", "promotion"} if caption else {"qr"})
    for name in names:
        yield "clean", name, (), frozenset()


def build_set(root: Path, media: Path | None = None) -> list[EvalItem]:
    """Write the evaluation images into ``root`` and return their ground truth (``MediaMissing`` without photos)."""
    base = photos(media)
    names = sorted(base)
    # usable bases for text: skip thumbnails too small to carry several lines (128 px Hopper)
    roomy = [n for n in names if min(base[n].size) >= 300]
    bright = sorted(roomy, key=lambda n: -_brightness(base[n]))[:5]
    root.mkdir(parents=True, exist_ok=True)
    items: list[EvalItem] = []
    for index, (kind, name, lines, codes) in enumerate(_plan(roomy, bright)):
        unknown = codes - set(FINDINGS)
        assert not unknown, f"codes outside the vocabulary: {unknown}"
        rng = random.Random(f"{index}:{kind}:{name}")
        image = base[name].copy()
        height = 0.0
        if kind == "banner":
            height = _banner(image, lines, rng)
        elif kind == "sign":
            height = _plate(
                image,
                lines,
                rng,
                (0.04, 0.06),
                rng.choice((((250, 250, 245), (200, 20, 20)), ((20, 50, 120), (255, 255, 255)))),
                tilt=rng.choice((0.0, 0.0, -4.0, 4.0)),
            )
        elif kind in ("phone", "price", "sensitive"):
            height = _plate(
                image,
                lines,
                rng,
                (0.025, 0.05),
                rng.choice((((255, 255, 255), (10, 10, 10)), ((255, 220, 0), (180, 0, 0)))),
            )
        elif kind == "small" and index % 2:
            height = _caption(image, lines, rng, (0.02, 0.022))
        elif kind == "small":
            height = _plate(image, lines, rng, (0.02, 0.025), ((245, 245, 245), (30, 30, 30)))
        elif kind == "watermark":
            height = _watermark(image, lines, rng)
        elif kind == "vertical":
            height = _vertical(image, lines, rng)
        elif kind == "qr":
            height = _qr(image, lines, rng, index)
        path = root / f"{index:03d}_{kind}_{Path(name).stem}.jpg"
        image.save(path, "JPEG", quality=85)
        items.append(EvalItem(path, lines, codes, kind, name, round(height, 4)))
    for name in names:
        if name not in roomy:  # tiny photos still count as clean ones
            path = root / f"{len(items):03d}_clean_{Path(name).stem}.jpg"
            base[name].save(path, "JPEG", quality=85)
            items.append(EvalItem(path, (), frozenset(), "clean", name))
    return items
