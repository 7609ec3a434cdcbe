"""A report's body: the Markdown subset becomes only allowed tags; everything typed stays text; contact checks."""

from __future__ import annotations

import pytest

from service.reporting.contact import check_email, check_phone, check_url, safe_url
from service.reporting.markup import render


def test_formatting_becomes_headings_lists_emphasis_and_links() -> None:
    html = str(render("# 活动概况\n\n学校开展了**开放校园**和*职业体验*。\n第二行\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n"
                      "详见[专题网站](https://www.example.edu.cn/a?b=1&c=2)"))
    assert "<h2>活动概况</h2>" in html
    assert "<p>学校开展了<strong>开放校园</strong>和<em>职业体验</em>。<br>第二行</p>" in html
    assert "<ul><li>一</li><li>二</li></ul>" in html
    assert "<ol><li>甲</li><li>乙</li></ol>" in html
    assert '<a href="https://www.example.edu.cn/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" ' in html


@pytest.mark.parametrize("hostile", [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[点我](javascript:alert(1))',
    '[点我](JaVaScRiPt:alert(1))',
    '[点我](data:text/html;base64,PHNjcmlwdD4=)',
    '[x](https://example.com" onmouseover="alert(1))',
    '**<b onclick=alert(1)>粗</b>**',
    '# <iframe src=//evil.example>',
    '[<svg onload=alert(1)>](https://example.com)',
])
def test_nothing_typed_becomes_markup(hostile: str) -> None:
    html = str(render(hostile))
    for tag in ("<script", "<img", "<iframe", "<svg", "<b ", "javascript:", "data:text", 'onmouseover="'):
        assert tag not in html.lower()


def test_only_http_and_https_addresses_with_a_host() -> None:
    assert safe_url("https://www.moe.gov.cn/")
    assert safe_url("http://职教周.中国/活动")
    for bad in ("javascript:alert(1)", "ftp://x.cn", "https://", "https://user:pw@x.cn", "https://x.cn/a b",
                "//x.cn", "https://x.cn:99999", "https://" + "a" * 500 + ".cn", "https://x"):
        assert not safe_url(bad), bad
    with pytest.raises(ValueError, match="专题网站网址"):
        check_url("www.example.cn")


def test_chinese_mobile_and_landline_numbers() -> None:
    for good in ("13812345678", "+86 13812345678", "010-66096114", "0531-86123456", "(0531)86123456",
                 "0531-86123456-8001", "02166096114"):
        assert check_phone(good)
    for bad in ("12812345678", "1381234567", "66096114", "010-123", "phone", "138123456789"):
        with pytest.raises(ValueError, match="联系电话"):
            check_phone(bad)
    assert check_email("wang@sdedu.gov.cn") == "wang@sdedu.gov.cn"
    with pytest.raises(ValueError, match="电子邮箱"):
        check_email("wang@localhost")
