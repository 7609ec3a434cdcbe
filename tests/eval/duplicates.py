# ruff: noqa: T201 - an evaluation reports on stdout
"""Duplicate screening evaluation on real material (``python -m tests.eval.duplicates``, ``make eval``).

Copies of the photos in ``../shared/media/photos`` made the ways people copy them, plus hard negatives (frames of
one recording a second apart, as a burst; the Leuven pair, one scene in two exposures; every other photo), go through
the SHIPPED photo lookup (``workers.steps.dedupe.photo_hashes`` + ``match_photo``: one MIH statement on a real
PostgreSQL, then ORB+RANSAC verification) and the shipped video matching (``video_hashes`` + ``video_matches``).
Pairwise precision and recall per transform; per-photo cost against today's (full + two crops, three lookups).
Visual similar shots (issue 18.4), when ``MEDIADESK_MODEL_DIR`` holds a Chinese-CLIP: burst frames, one scene in two
exposures and two framings of one photo offered, unrelated photos offered falsely; without the model it says that the
visual part was not measured.

    python -m tests.eval.duplicates [--media ../shared/media] [--visual-only]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from models.hashing import CROP_VARIANTS, PDQ_MATCH_DISTANCE, central, pdq
from models.video import sample_frames
from tests.duplicate_media import article, bordered, mirrored, off_centre_crop, reshot, screenshot, turned
from tests.screening_media import cjk_font
from workers.duplicates import lookup, lookup_many, video_matches
from workers.steps.dedupe import VIDEO_QUERY_STEP, _row, match_photo, photo_hashes, video_hashes


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _caption(image: Image.Image) -> Image.Image:
    out = image.copy()
    w, h = out.size
    font = cjk_font(max(14, h // 18)) or ImageFont.load_default(size=max(14, h // 18))
    ImageDraw.Draw(out).text((w // 20, int(h * 0.82)), "2023年职业教育活动周 技能展示", font=font, fill=(255, 255, 255))
    return out


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    # today's
    "resize50": lambda i: i.resize((i.width // 2, i.height // 2), Image.Resampling.BILINEAR),
    "jpeg40": lambda i: _jpeg(i, 40),
    "crop5": lambda i: central(i, 0.95),
    "bright20": lambda i: ImageEnhance.Brightness(i).enhance(1.2),
    "text": _caption,
    # issue 18
    "mirrored": mirrored,
    "turned90_no_exif": turned,
    "off_centre_crop10": off_centre_crop,
    "screenshot": screenshot,
    "screenshot_dark_bar": lambda i: screenshot(i, dark_bar=True),
    "article_screenshot": article,
    "border5": bordered,
    "reshot": reshot,
}


def load_photos(folder: Path) -> dict[str, Image.Image]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    photos = {}
    for path in sorted(folder.iterdir()):
        try:
            image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        except OSError:
            continue
        image.thumbnail((1600, 1600))  # the size of the ``preview`` rendition the step reads
        photos[path.name] = image
    return photos


def burst_pairs(videos: Path, gap: float = 1.0) -> list[tuple[str, Image.Image, Image.Image]]:
    """Frames ``gap`` seconds apart from each recording: shots of one moment that are not copies."""
    pairs = []
    for path in sorted(videos.glob("*.mp4")):
        frames = sample_frames(path, every=0.5, side=1280, colour=True)
        by_t = {round(t * 2) / 2: image for t, image in frames}
        for t in sorted(by_t)[::4]:
            if t + gap in by_t:
                pairs.append((f"{path.stem}@{t:g}s", by_t[t], by_t[t + gap]))
    return pairs


class Store:
    """The stored side: assets' hashes in a real PostgreSQL (foreign keys off: no asset rows needed)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.images: dict[uuid.UUID, Image.Image] = {}
        self.names: dict[uuid.UUID, str] = {}

    def add_photo(self, name: str, image: Image.Image) -> uuid.UUID:
        asset_id = uuid.uuid4()
        hashes = photo_hashes(image)
        if hashes is not None:
            for variant, position, bits, quality in hashes.stored:
                self.session.add(_row(asset_id, "image", variant, position, bits, quality))
        self.images[asset_id], self.names[asset_id] = image, name
        self.session.flush()
        return asset_id

    def match(self, image: Image.Image) -> tuple[set[uuid.UUID], set[uuid.UUID], float]:
        started = time.perf_counter()
        hashes = photo_hashes(image)
        if hashes is None:
            return set(), set(), 0.0
        found = match_photo(self.session, uuid.uuid4(), image, hashes, self.images.get)
        return set(found.duplicates), set(found.similar), (time.perf_counter() - started) * 1000


def today_cost(session: Session, image: Image.Image) -> float:
    started = time.perf_counter()
    me = uuid.uuid4()
    for _, keep in CROP_VARIANTS:
        lookup(session, pdq(central(image, keep)).bits, kind="image", exclude=me)
    return (time.perf_counter() - started) * 1000


def evaluate_photos(session: Session, media: Path) -> None:
    photos = load_photos(media / "photos")
    store = Store(session)
    ids = {name: store.add_photo(name, image) for name, image in photos.items()}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    costs, today = [], []
    for name, image in photos.items():
        for transform, make in TRANSFORMS.items():
            dups, _, ms = store.match(make(image))
            costs.append(ms)
            c = counts[transform]
            c["tp" if ids[name] in dups else "fn"] += 1
            c["fp"] += len(dups - {ids[name]})
        today.append(today_cost(session, image))
    negatives: dict[str, dict[str, int]] = defaultdict(lambda: {"fp": 0, "similar": 0, "n": 0})
    for label, first, second in burst_pairs(media / "videos"):
        stored = store.add_photo(label, first)
        dups, similar, _ = store.match(second)
        negatives["burst frames 1 s apart"]["n"] += 1
        negatives["burst frames 1 s apart"]["fp"] += int(stored in dups)
        negatives["burst frames 1 s apart"]["similar"] += int(stored in similar)
    if "opencv_leuvenA.jpg" in ids and "opencv_leuvenB.jpg" in photos:
        dups, similar, _ = store.match(photos["opencv_leuvenB.jpg"])
        key = "one scene, two exposures (Leuven A/B)"
        negatives[key] = {"n": 1, "fp": int(ids["opencv_leuvenA.jpg"] in dups),
                          "similar": int(ids["opencv_leuvenA.jpg"] in similar)}
    print(f"\n{len(photos)} photos × {len(TRANSFORMS)} transforms; each copy looked up against all "
          f"{len(store.images)} stored (photos and burst frames)\n")
    print("| transform | precision | recall | tp | fp | fn |\n|---|---|---|---|---|---|")
    total = {"tp": 0, "fp": 0, "fn": 0}
    for transform, c in counts.items():
        for k in total:
            total[k] += c[k]
        print(f"| {transform} | {c['tp'] / max(1, c['tp'] + c['fp']):.2f} | {c['tp'] / max(1, c['tp'] + c['fn']):.2f}"
              f" | {c['tp']} | {c['fp']} | {c['fn']} |")
    print(f"| **all** | {total['tp'] / max(1, total['tp'] + total['fp']):.3f} | "
          f"{total['tp'] / max(1, total['tp'] + total['fn']):.3f} | {total['tp']} | {total['fp']} | {total['fn']} |")
    print("\n| hard negative | pairs | joined as duplicate | offered as similar shot |\n|---|---|---|---|")
    for label, n in negatives.items():
        print(f"| {label} | {n['n']} | {n['fp']} | {n['similar']} |")
    print(f"\nper-photo dedupe lookup cost (hashes + one statement + verification): median "
          f"{statistics.median(costs):.0f} ms, p95 {sorted(costs)[int(len(costs) * 0.95)]:.0f} ms; today's "
          f"(3 hashes, 3 statements): median {statistics.median(today):.0f} ms")


def tune_threshold(session: Session, media: Path) -> None:
    """Issue 18.6: the whole-picture threshold chosen on half of the photos, reported on the other half.

    Each copy's whole-picture hashes (not local windows) go through the shipped lookup (radius 64); per copy the
    nearest distance to its own original and to any other stored photo are kept, and burst pairs (frames of one
    recording a second apart) count as false joins when within the threshold. On the tuning half (photos at even
    positions in name order) the threshold is the smallest that reaches the highest recall with precision ≥ 0.99;
    the held-out half (odd positions) then reports precision and recall at it and at the shipped 31. This is the
    whole-picture rule alone: verification of the grey zone and of windows (``match_photo``) comes on top."""
    photos = load_photos(media / "photos")
    names = sorted(photos)
    store = Store(session)
    ids = {name: store.add_photo(name, photos[name]) for name in names}
    rows: list[tuple[int, int | None, int | None]] = []  # (half, own distance, nearest other)
    negatives: list[tuple[int, int | None]] = []  # (half, distance of a burst pair)
    for k, name in enumerate(names):
        for make in TRANSFORMS.values():
            hashes = photo_hashes(make(photos[name]))
            if hashes is None:
                rows.append((k % 2, None, None))
                continue
            found = lookup_many(session, [q.bits for q in hashes.queries], kind="image", exclude=uuid.uuid4(),
                                radius=64, probe=[q.probe for q in hashes.queries])
            whole = [m for m in found if not hashes.queries[m.query].local and m.position == 0]
            own = min((m.distance for m in whole if m.asset_id == ids[name]), default=None)
            other = min((m.distance for m in whole if m.asset_id != ids[name]), default=None)
            rows.append((k % 2, own, other))
    # hard negatives: frames of one recording a second apart (a burst) — the second looked up against the first
    for k, (label, first, second) in enumerate(burst_pairs(media / "videos")):
        stored = store.add_photo(label, first)
        hashes = photo_hashes(second)
        if hashes is None:
            continue
        found = lookup_many(session, [q.bits for q in hashes.queries], kind="image", exclude=uuid.uuid4(),
                            radius=64, probe=[q.probe for q in hashes.queries])
        near = min((m.distance for m in found if m.asset_id == stored and not hashes.queries[m.query].local
                    and m.position == 0), default=None)
        negatives.append((k % 2, near))

    def score(half: int, threshold: int) -> tuple[float, float, int, int, int]:
        part = [r for r in rows if r[0] == half]
        tp = sum(1 for _, own, _ in part if own is not None and own <= threshold)
        fp = sum(1 for _, _, other in part if other is not None and other <= threshold)
        fp += sum(1 for h, near in negatives if h == half and near is not None and near <= threshold)
        return tp / max(1, tp + fp), tp / max(1, len(part)), tp, fp, len(part)

    candidates = [(score(0, t)[1], -t) for t in range(16, 65) if score(0, t)[0] >= 0.99]
    chosen = -max(candidates)[1] if candidates else PDQ_MATCH_DISTANCE
    print(f"\nburst pairs: {len(negatives)} (halves alternate)")
    print("\n| whole-picture rule | threshold | precision | recall | tp | fp | copies |\n|---|---|---|---|---|---|---|")
    for label, half, threshold in (("tuning half", 0, chosen), ("held-out half", 1, chosen),
                                   ("held-out half, shipped", 1, PDQ_MATCH_DISTANCE)):
        p, r, tp, fp, n = score(half, threshold)
        print(f"| {label} | {threshold} | {p:.3f} | {r:.3f} | {tp} | {fp} | {n} |")


def _pan(image: Image.Image, left: bool) -> Image.Image:
    """Two framings of one scene: the left or right 70 % of the photo (the photographer turned a little)."""
    w, h = image.size
    return image.crop((0, 0, int(w * 0.7), h) if left else (int(w * 0.3), 0, w, h))


def evaluate_visual(media: Path) -> None:
    """Issue 18.4: which pairs the SHIPPED visual rule offers as similar shots (``ZeroShotTagger.embed``, cosine ≥
    ``models.clip.SIMILAR_SHOT_MIN_COSINE``, the rule ``workers.duplicates.visual_neighbours`` applies). Positives:
    frames of one recording a second apart (a burst), Leuven A/B (one scene, two exposures), two framings of each
    photo (left and right 70 %); false offers: every pair of two different photos. The candidate bound (same moment or
    submission) is not exercised: every pair here is treated as one moment, the hardest case for the threshold."""
    import numpy as np

    from models.base import get_model
    from models.clip import SIMILAR_SHOT_MIN_COSINE, ZeroShotTagger

    tagger = get_model(ZeroShotTagger)
    if not tagger.configured():
        print(f"\nvisual similar shots: NOT MEASURED — {tagger.source()}; set MEDIADESK_MODEL_DIR to a folder with "
              "a Chinese-CLIP model (`mediadesk models pull chinese-clip`) to measure them")
        return
    photos = load_photos(media / "photos")

    def embed(images: list[Image.Image]) -> np.ndarray:
        return np.array([row for i in range(0, len(images), 8) for row in tagger.embed(images[i:i + 8])])

    def offered(first: list[Image.Image], second: list[Image.Image]) -> list[float]:
        return [float(v) for v in (embed(first) * embed(second)).sum(axis=1)]

    groups: dict[str, list[float]] = {}
    bursts = burst_pairs(media / "videos")
    groups["burst frames 1 s apart"] = offered([a for _, a, _ in bursts], [b for _, _, b in bursts])
    if {"opencv_leuvenA.jpg", "opencv_leuvenB.jpg"} <= set(photos):
        groups["one scene, two exposures (Leuven A/B)"] = offered([photos["opencv_leuvenA.jpg"]],
                                                                  [photos["opencv_leuvenB.jpg"]])
    names = sorted(photos)
    groups["two framings of one photo (left/right 70 %)"] = offered([_pan(photos[n], True) for n in names],
                                                                    [_pan(photos[n], False) for n in names])
    whole = dict(zip(names, embed([photos[n] for n in names]), strict=True))
    same_scene = {frozenset({"opencv_leuvenA.jpg", "opencv_leuvenB.jpg"})}
    unrelated = [float(whole[a] @ whole[b]) for i, a in enumerate(names) for b in names[i + 1:]
                 if frozenset({a, b}) not in same_scene]
    print(f"\nvisual similar shots ({tagger.source()}, threshold {SIMILAR_SHOT_MIN_COSINE}):\n")
    print("| pairs | n | offered | median cosine |\n|---|---|---|---|")
    for label, values in groups.items():
        hits = sum(v >= SIMILAR_SHOT_MIN_COSINE for v in values)
        print(f"| {label} | {len(values)} | {hits} | {statistics.median(values) if values else 0:.3f} |")
    false = sum(v >= SIMILAR_SHOT_MIN_COSINE for v in unrelated)
    print(f"| unrelated photos (false offers) | {len(unrelated)} | {false} | "
          f"{statistics.median(unrelated) if unrelated else 0:.3f} |")


def _ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True,
                   timeout=300)


VIDEO_COPIES = {
    "cut at 1.37 s": ["-ss", "1.37", "-t", "5"],
    "cut at 3.71 s": ["-ss", "3.71", "-t", "4"],
    "mirrored, cut at 2.13 s": ["-ss", "2.13", "-t", "5", "-vf", "hflip"],
    "cropped 90 %, cut at 0.9 s": ["-ss", "0.9", "-t", "5", "-vf", "crop=iw*0.9:ih*0.9"],
    "off-centre crop (10 % off the left and top), cut at 1.6 s": ["-ss", "1.6", "-t", "5", "-vf",
                                                                  "crop=iw*0.9:ih*0.9:iw*0.1:ih*0.1"],
    "screen-recorded (margins, status bar)": ["-ss", "1.1", "-t", "5", "-vf",
                                              "scale=iw*0.8:-2,pad=iw/0.8:ih*1.6:(ow-iw)/2:ih*0.3:white,"
                                              "drawbox=0:0:iw:ih*0.05:black:fill"],
}


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def evaluate_videos(session: Session, media: Path) -> None:
    videos = [p for p in sorted((media / "videos").glob("*.mp4"))]
    stored: dict[uuid.UUID, str] = {}
    with tempfile.TemporaryDirectory(prefix="eval-dup-") as folder:
        for path in videos:
            asset_id = uuid.uuid4()
            rows, _ = video_hashes(sample_frames(path, every=VIDEO_QUERY_STEP))
            for variant, position, bits, quality in rows:
                session.add(_row(asset_id, "video", variant, position, bits, quality))
            stored[asset_id] = path.name
        session.flush()
        print("\n| video copy | " + " | ".join(p.name for p in videos) + " |\n|---|" + "---|" * len(videos))
        for label, args in VIDEO_COPIES.items():
            cells = []
            for path in videos:
                out = Path(folder) / "copy.mp4"
                if float(args[args.index("-ss") + 1]) + 2 > _duration(path):
                    cells.append("n/a (too short)")
                    continue
                try:
                    _ffmpeg("-i", str(path), *args, "-an", "-c:v", "libx264", "-crf", "26", str(out))
                except subprocess.CalledProcessError:
                    cells.append("n/a")
                    continue
                _, query = video_hashes(sample_frames(out, every=VIDEO_QUERY_STEP))
                found = {stored[a] for a in video_matches(session, query, exclude=uuid.uuid4())}
                right = path.name in found
                wrong = found - {path.name}
                cells.append(("joined" if right else "missed") + (f", +{len(wrong)} wrong" if wrong else ""))
            print(f"| {label} | " + " | ".join(cells) + " |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.duplicates", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=Path(__file__).resolve().parents[2].parent / "shared/media",
                        help="../shared/media beside the repository")
    parser.add_argument("--skip-videos", action="store_true")
    parser.add_argument("--skip-photos", action="store_true")
    parser.add_argument("--tune-threshold", action="store_true",
                        help="only choose the whole-picture threshold on half the photos, report the other half")
    parser.add_argument("--visual-only", action="store_true",
                        help="only the visual similar shots (needs MEDIADESK_MODEL_DIR with chinese-clip)")
    args = parser.parse_args(argv)
    if not (args.media / "photos").is_dir():
        print(f"evaluation skipped: {args.media}/photos is absent", file=sys.stderr)
        return 2
    if args.visual_only:
        evaluate_visual(args.media)
        return 0
    from service.core.embedded import Postgres, free_port
    from service.db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="eval-dedupe-") as folder:
        pg = Postgres(Path(folder), port=free_port())
        pg.start()
        try:
            upgrade(pg.url)
            engine = create_engine(pg.url)
            with Session(engine) as session:
                session.execute(text("SET session_replication_role = replica"))  # hashes without asset rows
                if args.tune_threshold:
                    tune_threshold(session, args.media)
                    args.skip_videos = True
                elif not args.skip_photos:
                    evaluate_photos(session, args.media)
                if not args.skip_videos:
                    evaluate_videos(session, args.media)
                session.rollback()
            engine.dispose()
        finally:
            pg.stop()
    if not args.tune_threshold:
        evaluate_visual(args.media)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
