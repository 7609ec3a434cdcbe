"""A first-page picture for documents no renderer here can draw (DOCX, ODT without a saved preview, plain text):
the opening lines of the text on a white A4-shaped card, in a CJK font when the machine has one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

#: A4 at the thumbnail's size (480 px high, like a rendered PDF page's longest side).
CARD_SIZE = (340, 480)
MARGIN = 24
FONT_SIZE = 16
LINE_HEIGHT = 22
#: CJK fonts Debian packages install (fonts-wqy-zenhei, fonts-noto-cjk); the first present is used.
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=1)
def _font() -> Font:
    for candidate in CJK_FONTS:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, FONT_SIZE)
    return ImageFont.load_default(FONT_SIZE)  # Latin only: Chinese shows as boxes, the card still shows the layout


def text_card(text: str) -> Image.Image:
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    font = _font()
    width = CARD_SIZE[0] - 2 * MARGIN
    y = MARGIN
    for paragraph in text.splitlines()[:60]:
        line = ""
        for ch in paragraph.replace("\t", "    "):
            if draw.textlength(line + ch, font=font) > width:
                draw.text((MARGIN, y), line, fill="black", font=font)
                y += LINE_HEIGHT
                line = ch
                if y > CARD_SIZE[1] - MARGIN - LINE_HEIGHT:
                    return card
            else:
                line += ch
        draw.text((MARGIN, y), line, fill="black", font=font)
        y += LINE_HEIGHT
        if y > CARD_SIZE[1] - MARGIN - LINE_HEIGHT:
            break
    return card
