"""A report's body: a Markdown subset (paragraphs, headings, lists, bold, italic, http/https links) as safe HTML.

Everything the writer typed is escaped first; only the tags this module writes exist in the output (h2–h4, p, br,
ul, ol, li, strong, em, a with an http/https ``href``). Raw HTML in the body stays visible text.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from service.reporting.contact import safe_url

MAX_BODY_CHARS = 50_000

_HEADING = re.compile(r"^(#{1,3})\s+(.+)$")
_BULLET = re.compile(r"^[-*+]\s+(.+)$")
_NUMBER = re.compile(r"^\d{1,3}[.、)]\s*(.+)$")
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\(([^)\s]{1,500})\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\*)")  # no word boundaries: Chinese has no spaces


def _emphasis(text: str) -> str:
    """Escaped ``text`` with **bold** and *italic* (markers are not special to HTML, so they survive escaping)."""
    html = str(escape(text))
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def inline(text: str) -> str:
    """One line's inline markup; a link whose address is not http/https stays its text, without a link."""
    out: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        out.append(_emphasis(text[position:match.start()]))
        label, url = match.group(1), match.group(2)
        if safe_url(url):
            out.append(f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" target="_blank">'
                       f"{_emphasis(label)}</a>")
        else:
            out.append(_emphasis(label))
        position = match.end()
    out.append(_emphasis(text[position:]))
    return "".join(out)


def render(body: str) -> Markup:
    """``body`` (Markdown subset) as HTML that can only contain the allowed tags."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close_paragraph() -> None:
        if paragraph:
            html.append("<p>" + "<br>".join(inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            html.append(f"<{list_tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in body[:MAX_BODY_CHARS].replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close_paragraph()
            close_list()
            continue
        heading, bullet, number = _HEADING.match(line), _BULLET.match(line), _NUMBER.match(line)
        if heading:
            close_paragraph()
            close_list()
            level = len(heading.group(1)) + 1  # the page's own title is the h1
            html.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif bullet or number:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            items.append((bullet or number).group(1))  # type: ignore[union-attr]
        else:
            close_list()
            paragraph.append(line)
    close_paragraph()
    close_list()
    return Markup("\n".join(html))  # noqa: S704 - every piece above was escaped before markup was added


def plain_text(body: str) -> str:
    """The body without markup characters, for search and previews."""
    text = _LINK.sub(r"\1 \2", body)
    text = re.sub(r"^\s*#{1,3}\s+", "", text, flags=re.MULTILINE)
    return text.replace("**", "")
