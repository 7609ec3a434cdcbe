# ruff: noqa: T201 - a benchmark reports on stdout
"""CPU seconds of the photo ``screen`` and ``dedupe`` code per photo, on ONE core, on what production gives them.

``python -m tests.bench.bench_photo_ml [--media ../shared/media] [--rounds 2]``

The photos are the end-to-end benchmark's (the real photos of ``--media`` of at least 640×480); each is rendered by
``workers.steps.image.render`` and its ``preview`` decoded the way ``workers.media_input.load_still`` decodes it. Per
photo: ``workers.screening.run_detectors`` (every detector plugin in order, as the ``screen`` step runs them) and
``workers.steps.dedupe.photo_hashes`` (the hashes the ``dedupe`` step stores and looks up), process CPU time. The
steps' database and storage work is not in it (the end-to-end benchmark's job rows have it). To compare two trees,
run the command in each, interleaved, minutes apart (docs/PERFORMANCE.md "Photo step cost at equal findings").
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

from tests.bench.bench_e2e import DEFAULT_MEDIA, MIN_PHOTO_PIXELS


def previews(media: Path, scratch: Path) -> dict[str, tuple[Image.Image, tuple[int, int]]]:
    import pillow_heif

    from workers.steps.image import render

    pillow_heif.register_heif_opener()
    found = {}
    for path in sorted((media / "photos").iterdir()):
        with Image.open(path) as image:
            if image.width * image.height < MIN_PHOTO_PIXELS:
                continue
            size = image.size
        folder = scratch / path.stem
        folder.mkdir()
        written = {r.spec.name: r.path for r in render(path, folder)}
        with Image.open(io.BytesIO(written["preview"].read_bytes())) as opened:  # as load_still decodes it
            opened.load()
            found[path.name] = (ImageOps.exif_transpose(opened).convert("RGB"), size)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core: every thread pool shares it
    from workers.screening import Frame, Media, run_detectors
    from workers.steps.dedupe import photo_hashes

    with tempfile.TemporaryDirectory() as scratch:
        photos = previews(args.media, Path(scratch))
    for image, size in list(photos.values())[:2]:  # models load outside the timings (once per worker process)
        run_detectors(Media("image", [Frame(None, image.copy())], *size))
    screen: list[float] = []
    dedupe: list[float] = []
    detectors: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for image, size in photos.values():
            started = time.process_time()
            _, results = run_detectors(Media("image", [Frame(None, image.copy())], *size))
            screen.append(time.process_time() - started)
            for result in results:
                detectors.setdefault(result.detector, []).append(result.seconds)
            started = time.process_time()
            photo_hashes(image.copy())
            dedupe.append(time.process_time() - started)
    print(f"{len(photos)} photos × {args.rounds} rounds, one core ({os.sched_getaffinity(0)}), CPU ms per photo:")
    print(f"{'screen (run_detectors)':28} mean {statistics.mean(screen) * 1000:6.0f}   "
          f"median {statistics.median(screen) * 1000:6.0f}")
    for name, values in detectors.items():
        print(f"  {name + ' (wall)':26} mean {statistics.mean(values) * 1000:6.0f}   "
              f"median {statistics.median(values) * 1000:6.0f}")
    print(f"{'dedupe (photo_hashes)':28} mean {statistics.mean(dedupe) * 1000:6.0f}   "
          f"median {statistics.median(dedupe) * 1000:6.0f}")


if __name__ == "__main__":
    main()
