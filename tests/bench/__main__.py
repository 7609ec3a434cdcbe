"""Run the benchmarks: ``python -m tests.bench [NAME ...]`` (``make bench BENCH="upload media"``).

Each benchmark measures its baseline in the same run and prints ratios; the recorded figures, with the exact
command and machine, are in docs/PERFORMANCE.md. With no name, every benchmark runs with its recorded defaults
(about an hour on 2 cores, and several GB of temporary disk); pass names to run a subset.
"""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = {
    "upload": "tests.bench.bench_upload",  # tus vs direct put_object, 1 GiB
    "media": "tests.bench.bench_media",  # image rendition set vs naive Pillow and pyvips; video step vs bare ffmpeg
    # a photo's duplicate lookup (one statement) at 1M photos: PostgreSQL cold, then the band indexes in shared buffers
    "dedupe": "tests.bench.bench_dedupe --os-warm --in-memory",
    "similar": "tests.bench.bench_similar",  # a photo's visual similar-shot query at the week's density
    "screen": "tests.bench.bench_screen",  # screening and OCR cost per image
    "photo-ml": "tests.bench.bench_photo_ml",  # the photo screen + dedupe code per photo, on the previews it reads
    "queue": "tests.bench.bench_queue",  # review queue API and page at 1M assets
    "package": "tests.bench.bench_package",  # ZIP package build vs plain zip
    "observability": "tests.bench.observability",  # request middleware overhead
    "documents": "tests.bench.bench_documents",  # a report document's inspection, child process vs in-process
    "e2e": "tests.bench.bench_e2e",  # upload → ready per worker core, cores for the week (make bench-e2e records it)
}


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    for name in names or list(BENCHMARKS):
        print(f"\n=== bench {name} ({BENCHMARKS[name]})", flush=True)  # noqa: T201 - a command-line report
        module, *options = BENCHMARKS[name].split()
        sys.argv = [module, *options]
        runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
