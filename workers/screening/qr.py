"""QR codes and other barcodes (zxing-cpp): on a public-interest photo a QR code is usually promotion."""

from __future__ import annotations

from typing import ClassVar

from models.qr import find_barcodes
from workers.screening.contract import Detector, Found, Screening


class QrDetector(Detector):
    name = "qr"
    codes: ClassVar[frozenset[str]] = frozenset({"qr", "barcode"})

    def detect(self, screening: Screening) -> list[Found]:
        found: dict[tuple[str, str], Found] = {}
        for frame in screening.media.frames:
            for code in find_barcodes(frame.image):
                kind = "qr" if "QR" in code.format.upper() else "barcode"
                found.setdefault((kind, code.text), Found(kind, 1.0, {"text": code.text, "format": code.format,
                                                                      "box": code.box, "t": frame.t}))
        return list(found.values())
