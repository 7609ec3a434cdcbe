"""QR codes and other barcodes (zxing-cpp): a QR code on a public-interest photo is usually promotion."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Barcode:
    format: str
    text: str
    box: list[int]  # x, y, w, h


def find_barcodes(image: Image.Image) -> list[Barcode]:
    import zxingcpp

    found = []
    for code in zxingcpp.read_barcodes(image.convert("L")):
        pos = code.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        found.append(Barcode(str(code.format).split(".")[-1], code.text[:500],
                             [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]))
    return found
