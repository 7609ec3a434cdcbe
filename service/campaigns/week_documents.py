"""The week report as documents: DOCX (python-docx, bar charts drawn with Pillow as PNG) and PDF (reportlab, charts
drawn with reportlab graphics; Chinese set in the CID font STSong-Light, which needs no font file and keeps the text
extractable). Both show the same ``WeekFigures``; thumbnails are passed in as bytes by key."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from service.campaigns.week_figures import WeekFigures
from service.core.beijing import BEIJING

PDF_FONT = "STSong-Light"
#: Fonts that draw Chinese on the DOCX's chart pictures (Debian: fonts-wqy-zenhei / fonts-noto-cjk); without one the
#: bars are numbered and the table beside each chart names them.
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CHART_ROWS = 15
TITLE = "职业教育活动周工作报告"


def sections(figures: WeekFigures) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(heading, first column, rows) of the three count tables, in the order both documents show them."""
    return [("一、各地报送情况（按省份）", "省份", figures.by_region),
            ("二、按类型统计", "类型", figures.by_kind),
            ("三、按类别统计", "类别", figures.by_category)]


def summary_line(figures: WeekFigures) -> str:
    t = figures.totals
    return (f"本次活动周共收到 {t.get('organisations', 0)} 个单位报送的素材 {t.get('files', 0)} 个，"
            f"审核采用 {t.get('approved', 0)} 个，其中精选 {t.get('featured', 0)} 个；"
            f"报送材料（方案、案例、稿件、总结）{t.get('reports', 0)} 份。")


def generated_line(at: datetime) -> str:
    return f"生成时间：{at.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）"


# --- charts as pictures (DOCX) ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def has_cjk_font() -> bool:
    return any(Path(p).exists() for p in CJK_FONT_FILES)


def bar_chart_png(rows: list[tuple[str, int]], width: int = 1200, bar: int = 34) -> bytes:
    """A horizontal bar chart (label, bar, value per row), largest first as given."""
    rows = rows[:CHART_ROWS] or [("—", 0)]
    height = 30 + bar * len(rows)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(20)
    cjk = has_cjk_font()
    label_w, value_w = 260, 90
    top = max((n for _, n in rows), default=0) or 1
    for i, (label, n) in enumerate(rows):
        y = 15 + i * bar
        draw.text((10, y + 4), label if cjk else f"#{i + 1}", fill="#222222", font=font)
        length = int((width - label_w - value_w - 20) * n / top)
        draw.rectangle((label_w, y + 4, label_w + max(length, 1), y + bar - 6), fill="#c0392b")
        draw.text((label_w + length + 10, y + 4), str(n), fill="#222222", font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- DOCX ---------------------------------------------------------------------------------------------------------


def render_docx(figures: WeekFigures, thumbs: Mapping[str, bytes], at: datetime) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # East Asian text in a Chinese face
    document.add_heading(f"{figures.campaign} {TITLE}", level=0)
    document.add_paragraph(f"主题：{figures.theme}    时间：{figures.week}")
    document.add_paragraph(generated_line(at))
    document.add_paragraph(summary_line(figures))
    for heading, column, rows in sections(figures):
        document.add_heading(heading, level=1)
        document.add_picture(io.BytesIO(bar_chart_png(rows)), width=Cm(16))
        table = document.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = column, "数量"
        for label, n in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, str(n)
    document.add_heading("四、精选素材", level=1)
    if not figures.featured:
        document.add_paragraph("暂无精选素材。")
    for item in figures.featured:
        data = thumbs.get(item.thumb_key or "")
        if data:
            document.add_picture(io.BytesIO(data), width=Cm(6))
        document.add_paragraph(f"{item.title}（{item.org}，{item.province}，{item.kind}）")
    document.add_heading("五、典型案例", level=1)
    if not figures.cases:
        document.add_paragraph("暂无采用的典型案例。")
    for case in figures.cases:
        document.add_heading(("【精选】" if case.featured else "") + case.title, level=2)
        document.add_paragraph(f"{case.org}（{case.province}）")
        if case.excerpt:
            document.add_paragraph(case.excerpt)
    document.add_heading("六、媒体使用情况", level=1)
    if not figures.outlets:
        document.add_paragraph("暂无媒体下载记录。")
    else:
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("媒体", "下载文件", "素材数", "打包下载"), strict=True):
            cell.text = text
        for outlet in figures.outlets:
            cells = table.add_row().cells
            for cell, value in zip(cells, (outlet.name, outlet.files, outlet.assets, outlet.packages), strict=True):
                cell.text = str(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------------------


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def _pdf_chart(rows: list[tuple[str, int]]) -> object:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    rows = list(reversed(rows[:CHART_ROWS])) or [("—", 0)]  # drawn bottom-up: largest on top
    height = 30 + 18 * len(rows)
    drawing = Drawing(440, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, 300, height - 20
    chart.data = [[n for _, n in rows]]
    chart.categoryAxis.categoryNames = [label for label, _ in rows]
    chart.categoryAxis.labels.fontName = PDF_FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#c0392b")
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 8
    drawing.add(chart)
    return drawing


def render_pdf(figures: WeekFigures, thumbs: Mapping[str, bytes], at: datetime) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image as PdfImage
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    h0 = ParagraphStyle("h0", parent=body, fontSize=18, leading=26, spaceAfter=8)
    h1 = ParagraphStyle("h1", parent=body, fontSize=13.5, leading=20, spaceBefore=10, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=18, spaceBefore=6)
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))])
    story: list[object] = [Paragraph(_escape(f"{figures.campaign} {TITLE}"), h0),
                           Paragraph(_escape(f"主题：{figures.theme}　时间：{figures.week}"), body),
                           Paragraph(generated_line(at), body), Spacer(1, 6), Paragraph(summary_line(figures), body)]
    for heading, column, rows in sections(figures):
        story += [Paragraph(heading, h1), _pdf_chart(rows),
                  Table([[column, "数量"], *[[label, str(n)] for label, n in rows]], colWidths=[8 * cm, 3 * cm],
                        style=grid, hAlign="LEFT")]
    story.append(Paragraph("四、精选素材", h1))
    if not figures.featured:
        story.append(Paragraph("暂无精选素材。", body))
    for item in figures.featured:
        data = thumbs.get(item.thumb_key or "")
        if data:
            picture = PdfImage(io.BytesIO(data))
            scale = (5 * cm) / max(picture.imageWidth, 1)
            picture.drawWidth, picture.drawHeight = 5 * cm, picture.imageHeight * scale
            picture.hAlign = "LEFT"
            story.append(picture)
        story.append(Paragraph(_escape(f"{item.title}（{item.org}，{item.province}，{item.kind}）"), body))
    story.append(Paragraph("五、典型案例", h1))
    if not figures.cases:
        story.append(Paragraph("暂无采用的典型案例。", body))
    for case in figures.cases:
        story += [Paragraph(("【精选】" if case.featured else "") + _escape(case.title), h2),
                  Paragraph(f"{_escape(case.org)}（{case.province}）", body)]
        if case.excerpt:
            story.append(Paragraph(_escape(case.excerpt), body))
    story.append(Paragraph("六、媒体使用情况", h1))
    if not figures.outlets:
        story.append(Paragraph("暂无媒体下载记录。", body))
    else:
        story.append(Table([["媒体", "下载文件", "素材数", "打包下载"],
                            *[[o.name, str(o.files), str(o.assets), str(o.packages)] for o in figures.outlets]],
                           style=grid, hAlign="LEFT"))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"{figures.campaign} {TITLE}", author="mediadesk").build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    """Paragraph text is reportlab mini-markup: user text must not become tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
