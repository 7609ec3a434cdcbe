# ruff: noqa: T201 - an evaluation reports on stdout
"""``python -m tests.eval [ocr] [faces] [--readers shipped,defaults,before] [--root build/eval]`` (``make eval``).

Builds the evaluation set from ``../shared/media`` (exits with a clear message when it is absent), then prints
markdown tables: OCR accuracy and cost per text category for each reader, faces precision/recall per detector.
Timings run on one core (``sched_setaffinity``), as one ``ml`` task per core does in production.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PIL import Image

from tests.eval.dataset import MediaMissing, build_set


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("parts", nargs="*", default=["ocr", "faces"], help="ocr, faces (default: both)")
    parser.add_argument("--root", type=Path, default=Path("build/eval"), help="where the images are written")
    parser.add_argument("--media", type=Path, default=None, help="folder of real photos (../shared/media/photos)")
    parser.add_argument(
        "--readers",
        default="shipped,before,defaults,int8-rec,int8-det",
        help="OCR settings to compare, comma-separated: shipped, before, defaults, int8-rec, int8-det, "
        "shipped:det_side=1280;min_score=0.5",
    )
    parser.add_argument("--kinds", default="", help="only these categories (comma-separated)")
    parser.add_argument("--detectors", default="", help="face detectors to compare (default: all)")
    parser.add_argument("--misses", action="store_true", help="list the lines each reader missed")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args(argv)
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if "ocr" in args.parts:
        try:
            items = build_set(args.root, args.media)
        except MediaMissing as exc:
            print(f"evaluation skipped: {exc}", file=sys.stderr)
            return 2
        if args.kinds:
            items = [i for i in items if i.kind in args.kinds.split(",")]
        from tests.eval import ocr

        results = {}
        for name in args.readers.split(","):
            misses: list[str] = []
            reader = ocr.reader(name)
            reader(Image.new("RGB", (320, 240), "white"))  # load the weights outside the timings
            results[name] = ocr.evaluate(items, reader, misses)
            print(f"{name}: done ({len(items)} images)", file=sys.stderr)
            if args.misses:
                print(f"\n{name} missed:\n" + "\n".join(f"  {m}" for m in misses))
        print(f"\nOCR on {len(items)} images of {args.root}\n")
        print(ocr.table(results))
    if "faces" in args.parts:
        from tests.eval import faces

        try:
            print(faces.report(args.media, args.detectors.split(",") if args.detectors else None))
        except MediaMissing as exc:
            print(f"faces evaluation skipped: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
