# ruff: noqa: T201 - a benchmark reports on stdout
"""Screening cost per photo on ONE core: each detector of the ``screen`` step, and OCR with and without text, our
OCR (det ≤ 960 px, then rec on found boxes, no cls) against rapidocr's default call (det + cls + rec at
up to 2000 px) in the same run.

    python -m tests.bench.bench_screen [--photos ../shared/media/photos] [--videos ../shared/media/videos]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from models.base import get_model
from models.blazeface import BlazeFace
from models.faces import HaarFaces
from models.hashing import pdq
from models.nsfw import NsfwClassifier, NudeDetector
from models.ocr import Ocr
from models.qr import find_barcodes
from models.quality import image_quality, sharpness, video_quality
from models.video import analyse_video
from tests.eval.duplicates import load_photos
from tests.screening_media import cjk_font


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def with_banner(image: Image.Image) -> Image.Image:
    copy = image.copy()
    w, h = copy.size
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont = (cjk_font(max(16, h // 14))
                                                          or ImageFont.load_default(size=max(16, h // 14)))
    draw = ImageDraw.Draw(copy)
    draw.rectangle((0, 0, w, h // 6), fill=(190, 20, 30))
    draw.text((w // 20, h // 40), "2023年职业教育活动周 开放校园", font=font, fill=(255, 240, 200))
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    root = Path(__file__).resolve().parents[3] / "shared/media"
    parser.add_argument("--photos", type=Path, default=root / "photos")
    parser.add_argument("--videos", type=Path, default=root / "videos")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core: every thread pool shares it
    photos = load_photos(args.photos)
    nsfw, nude, haar, ocr = (get_model(c) for c in (NsfwClassifier, NudeDetector, HaarFaces, Ocr))
    blaze = get_model(BlazeFace)
    warm = next(iter(photos.values()))
    for model in (nsfw, nude, blaze, haar, ocr):  # load outside the timings (once per worker process in production)
        model.predict([warm] if model is nsfw else warm)
    from rapidocr import RapidOCR

    rapid = RapidOCR(params={"Global.log_level": "critical"})  # the library's defaults: det + cls + rec, ≤ 2000 px
    rapid(np.zeros((64, 64, 3), np.uint8))
    costs: dict[str, list[float]] = {}
    for image in photos.values():
        banner = with_banner(image)
        array = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        banner_array = np.ascontiguousarray(np.asarray(banner)[:, :, ::-1])
        for name, fn in {
            "nsfw (open_nsfw)": lambda image=image: nsfw.predict([image]),
            "nudenet": lambda image=image: nude.predict(image),
            "faces (blazeface, whole + 2x2 + 3x3 tiles)": lambda image=image: blaze.predict(image),
            "baseline faces (haar, the fallback)": lambda image=image: haar.predict(image),
            "qr (zxing)": lambda image=image: find_barcodes(image),
            "quality": lambda image=image: image_quality(image),
            "pdq x3": lambda image=image: [pdq(image) for _ in range(3)],
            "ocr, photo": lambda image=image: ocr.predict(image),
            "ocr, photo + banner": lambda banner=banner: ocr.predict(banner),
            "baseline rapidocr default, photo": lambda array=array: rapid(array),
            "baseline rapidocr default, photo + banner": lambda banner_array=banner_array: rapid(banner_array),
        }.items():
            costs.setdefault(name, []).append(timed(fn))
    sizes = [max(i.size) for i in photos.values()]
    print(f"{len(photos)} photos, long side {min(sizes)}–{max(sizes)} px, one core ({os.sched_getaffinity(0)})")
    for name, values in costs.items():
        print(f"{name:44} median {statistics.median(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms")
    screen = sum(statistics.median(costs[k]) for k in costs if not k.startswith(("baseline", "ocr, photo +")))
    print(f"{'screen step, photo without text (sum)':44} median {screen * 1000:7.0f} ms")
    for kind in ("photo", "photo + banner"):
        ours = statistics.median(costs[f"ocr, {kind}"])
        base = statistics.median(costs[f"baseline rapidocr default, {kind}"])
        print(f"OCR {kind}: ours / rapidocr default = {ours / base:.2f}")
    for path in sorted(args.videos.glob("*")) if args.videos.exists() else []:
        started = time.perf_counter()
        analysis = analyse_video(path)
        decode = time.perf_counter() - started
        video_quality(analysis, [sharpness(k.image) for k in analysis.keyframes])
        frames = sum(timed(lambda k=k: (nsfw.predict([k.image]), nude.predict(k.image), ocr.predict(k.image)))
                     for k in analysis.keyframes)
        print(f"video {path.name[:36]:36} {analysis.duration:6.1f} s {analysis.width}x{analysis.height}: "
              f"decode+analyse {decode:5.1f} s, {len(analysis.keyframes)} keyframes screened in {frames:5.1f} s "
              f"({(decode + frames) / max(analysis.duration, 0.1):.2f} s per second of video)")


if __name__ == "__main__":
    main()
