# ruff: noqa: T201 - an evaluation reports on stdout
"""Precision and recall per finding code of the SHIPPED detector chain on the evaluation set.

``python -m tests.eval.findings [--root build/eval] [--write docs/SCREENING.md] [--misses] [--limit N]``

The set is ``tests.eval.dataset.build_set`` (real photos from ``../shared/media`` with rendered Chinese text, QR codes
and their expected finding codes) plus ``HARD``: legitimate text of the week that a careless rule would flag. Each
image goes the production way: ``workers.steps.image.render`` makes its ``preview`` rendition (what the screen step
reads), then ``workers.screening.run_detectors`` runs every detector plugin in order, exactly as
``workers.steps.screen`` does. Predicted codes are compared with the expected ones for every risk code of the
vocabulary that either side names; facts (faces, OCR time …) have no ground truth here.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from service.core.findings import FINDINGS, FindingKind
from workers.screening import Frame, Media, Status, run_detectors
from workers.steps.image import render

START, END = "<!-- findings-eval:start -->", "<!-- findings-eval:end -->"
#: Always reported, even when neither side names them on this set.
PROMOTION = ("qr", "phone", "price", "promotion", "watermark", "sensitive", "nudity")


@dataclass
class Outcome:
    name: str
    kind: str
    expected: frozenset[str]
    predicted: frozenset[str]
    ocr_text: str
    seconds: float
    failed: tuple[str, ...]


def screen_like_production(path: Path, scratch: Path) -> tuple[frozenset[str], str, tuple[str, ...]]:
    """The codes the shipped chain publishes for the photo at ``path`` (on its preview rendition)."""
    written = {r.spec.name: r for r in render(path, scratch)}
    with Image.open(written["preview"].path) as opened:
        preview = ImageOps.exif_transpose(opened).convert("RGB")
    with Image.open(path) as original:
        width, height = original.size
    screening, results = run_detectors(Media("image", [Frame(None, preview)], width, height))
    codes = frozenset(f.code for r in results for f in r.findings)
    return codes, screening.ocr_text, tuple(f"{r.detector}: {r.reason}" for r in results if r.status is Status.failed)


#: Legitimate text of the week that looks like promotion to a careless rule (dates, prizes, IDs, the school's own
#: account), and two real promotions beside them: what editors would see on real activity photos.
HARD: tuple[tuple[str, frozenset[str]], ...] = (
    ("2023年5月14日—20日 职业教育活动周", frozenset()),
    ("第五届职业技能大赛 一等奖", frozenset()),
    ("学号 2023051612 王小明", frozenset()),
    ("欢迎关注学院微信公众号", frozenset()),
    ("5G智能制造实训室", frozenset()),
    ("扫码签到 参加志愿服务", frozenset()),
    ("中国特色学徒制试点", frozenset()),
    ("产教融合订单班 开班仪式", frozenset()),
    ("职教集团成员院校", frozenset()),
    ("技能服务进社区 义务维修家电", frozenset()),
    ("报名热线 0571-88886666", frozenset({"phone", "promotion"})),
    ("新店开业 全场八折", frozenset({"promotion"})),
)


def hard_items(root: Path, media: Path | None) -> list[tuple[Path, str, frozenset[str]]]:
    """``HARD`` lines on a white plate (4 % of the height) over the real photos, in turn."""
    from PIL import ImageDraw

    from tests.eval.dataset import photos
    from tests.screening_media import cjk_font

    base = [image for _, image in sorted(photos(media).items()) if min(image.size) >= 300]
    root.mkdir(parents=True, exist_ok=True)
    items = []
    for index, (text, codes) in enumerate(HARD):
        image = base[(index * 5) % len(base)].copy()
        font = cjk_font(max(16, round(0.04 * image.height)))
        assert font is not None, "no CJK font (apt-get install fonts-wqy-zenhei)"
        draw = ImageDraw.Draw(image)
        width = draw.textlength(text, font=font)
        x, y = max(10, round((image.width - width) / 2)), round(0.7 * image.height)
        draw.rectangle((x - 12, y - 12, x + width + 12, y + font.size + 12), fill="white")
        draw.text((x, y), text, font=font, fill=(20, 20, 20))
        path = root / f"hard_{index:02d}.jpg"
        image.save(path, "JPEG", quality=90)
        items.append((path, text, codes))
    return items


def evaluate(root: Path, media: Path | None, limit: int | None) -> list[Outcome]:
    from tests.eval.dataset import build_set

    items = [(i.path, i.kind, i.codes) for i in build_set(root, media)]
    items += [(path, "hard", codes) for path, _, codes in hard_items(root / "hard", media)]
    if limit:
        items = items[:limit]
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="mdk-eval-") as folder:
        for path, kind, expected in items:
            started = time.perf_counter()
            codes, text, failed = screen_like_production(path, Path(folder))
            outcomes.append(Outcome(path.name, kind, expected, codes, text, round(time.perf_counter() - started, 2),
                                    failed))
            risks = sorted(c for c in codes if FINDINGS[c].kind is FindingKind.risk)
            print(f"{path.name}: expected {sorted(expected)}, found {risks}", file=sys.stderr)
    return outcomes


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "–"


def table(outcomes: list[Outcome]) -> str:
    risks = {c for c, t in FINDINGS.items() if t.kind is FindingKind.risk}
    named = {c for o in outcomes for c in (o.expected | o.predicted) if c in risks}
    rows = ["| finding | name | expected | found | true pos. | false pos. | missed | precision | recall |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for code in [c for c in FINDINGS if c in named or c in PROMOTION]:
        tp = sum(1 for o in outcomes if code in o.expected and code in o.predicted)
        fp = sum(1 for o in outcomes if code not in o.expected and code in o.predicted)
        fn = sum(1 for o in outcomes if code in o.expected and code not in o.predicted)
        rows.append(f"| `{code}` | {FINDINGS[code].name_zh} | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | "
                    f"{_ratio(tp, tp + fp)} | {_ratio(tp, tp + fn)} |")
    clean = [o for o in outcomes if not o.expected]
    flagged = [o for o in clean if o.predicted & risks]
    kinds = Counter(o.kind for o in outcomes)
    seconds = sorted(o.seconds for o in outcomes)
    failures = sum(1 for o in outcomes if o.failed)
    summary = (f"\n{len(outcomes)} images ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
               f"images expecting no finding flagged with a risk: {len(flagged)}/{len(clean)}; "
               f"detector failures: {failures}; preview + chain per image: median {seconds[len(seconds) // 2]:.1f} s, "
               f"max {seconds[-1]:.1f} s.")
    return "\n".join(rows) + "\n" + summary


def misses(outcomes: list[Outcome]) -> str:
    risks = {c for c, t in FINDINGS.items() if t.kind is FindingKind.risk}
    lines = []
    for o in outcomes:
        missed, extra = o.expected - o.predicted, (o.predicted & risks) - o.expected
        if missed or extra or o.failed:
            text = re.sub(r"\s+", " ", o.ocr_text)[:120]
            lines.append(f"* {o.name}: missed {sorted(missed)} extra {sorted(extra)} {o.failed or ''} OCR: {text}")
    return "\n".join(lines)


def write(doc: Path, body: str) -> None:
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{doc} has no {START} … {END} section to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{body}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.findings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("build/eval"), help="where the images are written")
    parser.add_argument("--media", type=Path, default=None, help="folder of real photos (../shared/media/photos)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (a quick look)")
    parser.add_argument("--write", type=Path, default=None, help="fill the findings-eval section of this file")
    parser.add_argument("--misses", action="store_true", help="list every image with a missed or extra finding")
    args = parser.parse_args(argv)
    try:
        outcomes = evaluate(args.root, args.media, args.limit)
    except ImportError as exc:
        print(f"evaluation set not available ({exc}): tests/eval/dataset.py builds it", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # tests.eval.dataset.MediaMissing: no ../shared/media on this machine
        print(f"evaluation skipped: {exc}", file=sys.stderr)
        return 2
    report = table(outcomes)
    print(report)
    if args.misses:
        print("\n" + misses(outcomes))
    if args.write:
        write(args.write, report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
