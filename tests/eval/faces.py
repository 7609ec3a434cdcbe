"""False and missed faces on real photos with and without people, per detector, with CPU ms per image.

Ground truth: the number of human faces in each photo of ``../shared/media/photos`` (looked at by hand; animals,
coin heads and flower or leaf patterns are not faces), plus composites: clean photos with people's heads from the
three portraits pasted in at 8–25 % of the image height (so small faces in a wide scene are counted too).

Counting, per image: matched = min(found, truth), false = found − matched, missed = truth − matched. Precision and
recall are over all faces; "false-face photos" counts photos without people where a detector reported any face.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from tests.eval.dataset import photos

#: Faces per photo, counted by hand. ultralytics_bus: two men facing the camera (the others are cut off or turned).
TRUTH: dict[str, int] = {
    "pillow_hopper.jpg": 1,
    "skimage_astronaut.png": 1,
    "skimage_camera.png": 1,
    "ultralytics_bus.jpg": 2,
}
#: Head-and-shoulders regions (x0, y0, x1, y1) of the portraits, pasted into clean photos for the composites.
HEADS = {
    "skimage_astronaut.png": (140, 20, 340, 260),
    "pillow_hopper.jpg": (10, 0, 118, 128),
    "skimage_camera.png": (160, 90, 300, 230),
}
#: Clean photos that get pasted heads: (photo, number of heads).
COMPOSITES = (
    ("mate_Dune.jpg", 1),
    ("lomiri16_Bridge_by_Sander_Klootwijk.jpg", 2),
    ("opencv_leuvenA.jpg", 3),
    ("skimage_coffee.png", 1),
    ("mate_FreshFlower.jpg", 2),
    ("lomiri16_Dragonfly_by_Bolly.jpg", 3),
)

Boxes = list[list[int]]
Detector = Callable[[Image.Image], Boxes]


@dataclass(frozen=True)
class FaceItem:
    name: str
    image: Image.Image
    faces: int


def face_set(media: Path | None = None) -> list[FaceItem]:
    """Every real photo with its face count, then the composites (deterministic)."""
    base = photos(media)
    items = [FaceItem(name, image, TRUTH.get(name, 0)) for name, image in sorted(base.items())]
    heads = [base[name].crop(box) for name, box in HEADS.items() if name in base]
    for index, (name, count) in enumerate(COMPOSITES):
        if name not in base or not heads:
            continue
        rng = random.Random(f"faces:{index}")
        image = base[name].copy()
        w, h = image.size
        slot = w // count
        for n in range(count):
            head = heads[(index + n) % len(heads)]
            size = round(rng.uniform(0.08, 0.25) * h)
            scaled = head.resize((round(head.width * size / head.height), size), Image.Resampling.LANCZOS)
            x = n * slot + rng.randint(0, max(0, slot - scaled.width))
            y = rng.randint(round(0.2 * h), h - size)
            image.paste(scaled, (x, y))
        items.append(FaceItem(f"composite:{name}", image, count))
    return items


@dataclass
class FaceTally:
    matched: int = 0
    found: int = 0
    truth: int = 0
    false_photos: int = 0
    clean_photos: int = 0
    seconds: list[float] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def add(self, item: FaceItem, boxes: Boxes, seconds: float) -> None:
        matched = min(len(boxes), item.faces)
        self.matched += matched
        self.found += len(boxes)
        self.truth += item.faces
        self.seconds.append(seconds)
        if item.faces == 0:
            self.clean_photos += 1
            self.false_photos += bool(boxes)
        if len(boxes) != item.faces:
            self.details.append(f"{item.name}: {len(boxes)} for {item.faces}")


def detectors() -> dict[str, Detector]:
    from models import blazeface, faces
    from models.base import get_model
    from models.nsfw import NudeDetector

    nude = get_model(NudeDetector)

    def nudenet(image: Image.Image) -> Boxes:
        return [d["box"] for d in nude.predict(image) if d["class"].startswith("FACE_")]

    def before_haar(image: Image.Image) -> Boxes:
        return faces.haar_faces(image, confirm=False, min_neighbours=6)

    def blaze(*grids: int, skin: bool = False, hints: bool = False, score: float = blazeface.MIN_SCORE) -> Detector:
        def detect(image: Image.Image) -> Boxes:
            boxes = [box for box, _ in blazeface.blaze_faces(image, grids=grids, min_score=score)]
            if skin:
                boxes = faces.skin_confirmed(image, boxes)
            if hints:
                boxes += [h for h in nudenet(image) if not any(faces.same_face(h, b) for b in boxes)]
            return boxes

        return detect

    return {
        "haar, minNeighbors 6 (before)": before_haar,
        "nudenet faces": nudenet,
        "max(haar, nudenet) (before)": lambda image: _larger(before_haar(image), nudenet(image)),
        "haar, minNeighbors 5, no check": lambda image: faces.haar_faces(image, confirm=False),
        "haar + skin/eye check": lambda image: faces.haar_faces(image),
        "haar + skin/eye check, minNeighbors 3": lambda image: faces.haar_faces(image, min_neighbours=3),
        "haar + skin/eye check, ≤ 800 px": lambda image: faces.haar_faces(image, side=800),
        "haar + skin/eye check, scaleFactor 1.2": lambda image: faces.haar_faces(image, scale_factor=1.2),
        "checked haar ∪ nudenet (shipped before 2026-12-01, now the fallback)": lambda image: _union(
            faces.haar_faces(image), nudenet(image)
        ),
        "blazeface, whole photo": blaze(),
        "blazeface, whole + 2×2 tiles": blaze(2),
        "blazeface, whole + 3×3 tiles": blaze(3),
        "blazeface, whole + 2×2 + 3×3 tiles": blaze(2, 3),
        "blazeface, whole + 2×2 + 3×3, score 0.6": blaze(2, 3, score=0.6),
        "blazeface, whole + 2×2 + 3×3 + skin check": blaze(2, 3, skin=True),
        "blazeface, whole + 2×2 tiles ∪ nudenet": blaze(2, hints=True),
        "blazeface, whole + 2×2 + 3×3 ∪ nudenet": blaze(2, 3, hints=True),
        "count_faces (shipped: blazeface whole + 2×2 + 3×3 ∪ nudenet)": lambda image: faces.count_faces(
            image, nudenet(image)
        )[1],
    }


def _union(boxes: Boxes, hints: Boxes) -> Boxes:
    from models.faces import same_face

    return boxes + [h for h in hints if not any(same_face(h, b) for b in boxes)]


def _larger(a: Boxes, b: Boxes) -> Boxes:
    return a if len(a) > len(b) else b


def evaluate(items: list[FaceItem], names: list[str] | None = None) -> dict[str, FaceTally]:
    found = detectors()
    results: dict[str, FaceTally] = {}
    for name, detect in found.items():
        if names and name not in names:
            continue
        detect(Image.new("RGB", (320, 240), "grey"))  # load weights outside the timings
        tally = results[name] = FaceTally()
        for item in items:
            cpu = time.process_time()
            boxes = detect(item.image)
            tally.add(item, boxes, time.process_time() - cpu)
    return results


def report(media: Path | None = None, names: list[str] | None = None) -> str:
    items = face_set(media)
    people = sum(1 for i in items if i.faces)
    rows = [
        f"Faces on {len(items)} photos ({people} with people, {sum(i.faces for i in items)} faces; "
        f"{len(items) - people} without)\n",
        "| detector | precision | recall | false faces | photos without people given a face | CPU ms/image |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for name, t in evaluate(items, names).items():
        precision = t.matched / t.found if t.found else 1.0
        rows.append(
            f"| {name} | {precision:.2f} | {t.matched / t.truth:.2f} | {t.found - t.matched} | "
            f"{t.false_photos}/{t.clean_photos} | {1000 * statistics.mean(t.seconds):.0f} |"
        )
        notes.append(f"{name}: " + "; ".join(t.details))
    return "\n".join(rows) + "\n\nwrong counts:\n" + "\n".join(notes)
