# ruff: noqa: T201 - a benchmark reports on stdout
"""A report document's inspection as the worker runs it (a limited child process: Python start, typing, hostile
checks, text, first-page picture) against the same inspection in-process (the baseline: what the isolation costs).

    python -m tests.bench.bench_documents [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.documents_samples import HONEST_TEXT, docx_bytes, odt_bytes, pdf_bytes
from workers.documents import Limits
from workers.documents.inspect import inspect_file
from workers.documents.tasks import run_child

LIMITS = Limits(max_bytes=50 * 1024**2, max_pages=300)


def samples() -> dict[str, bytes]:
    return {"pdf 1 page": pdf_bytes([HONEST_TEXT]), "pdf 50 pages": pdf_bytes([HONEST_TEXT * 20] * 50),
            "docx 200 paragraphs": docx_bytes([HONEST_TEXT] * 200),
            "odt 200 paragraphs": odt_bytes([HONEST_TEXT] * 200)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| document | bytes | child process (worker), median s | in-process, median s |")
    print("|---|---:|---:|---:|")
    for name, data in samples().items():
        child, direct = [], []
        with tempfile.TemporaryDirectory(prefix="md-bench-doc-") as tmp:
            source = Path(tmp) / "original"
            source.write_bytes(data)
            for run in range(args.runs):
                out = Path(tmp) / f"out{run}"
                out.mkdir()
                started = time.monotonic()
                assert "reject" not in run_child(source, out, LIMITS)
                child.append(time.monotonic() - started)
                started = time.monotonic()
                inspect_file(source, LIMITS)
                direct.append(time.monotonic() - started)
        print(f"| {name} | {len(data)} | {statistics.median(child):.2f} | {statistics.median(direct):.2f} |")


if __name__ == "__main__":
    main()
