"""HTML sanitising (issue #7: no script reaches a public page): the allow-list sanitiser
and, end to end, a published item's public page."""

import pytest
from django.urls import reverse

from affairs_disclosure.models import DisclosureItem
from affairs_disclosure.sanitize import sanitize_html

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<p onclick="alert(1)" style="background:url(javascript:alert(1))">p</p>',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<body onload="alert(1)">',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)</script>-->",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<div><a href="https://ok.example" onmouseover="alert(1)">ok</a></div>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<td background="javascript:alert(1)">',
]


def _dangerous(html: str, *, tags: bool = True) -> list[str]:
    low = html.lower()
    problems = []
    if "<script" in low:
        problems.append("<script")
    if "javascript:" in low or "vbscript:" in low or "data:" in low:
        problems.append("scheme")
    import re

    if re.search(r"<[^>]*\son[a-z]+\s*=", low):
        problems.append("on*")
    if tags and re.search(r"<(iframe|object|embed|svg|style|form|img|body)", low):
        problems.append("tag")
    return problems


@pytest.mark.parametrize("attack", ATTACKS)
def test_sanitiser_removes_scripts_handlers_and_bad_urls(attack):
    out = sanitize_html(attack)
    assert _dangerous(out) == [], out
    assert sanitize_html(out) == out  # idempotent


def test_sanitiser_keeps_the_allowed_markup():
    html = (
        "<h3>标题</h3><p>第一段<br>第二行 <strong>重点</strong> <em>强调</em></p>"
        "<ul><li>一</li><li>二</li></ul>"
        '<table><tr><th colspan="2">表</th></tr><tr><td>1</td><td rowspan="x">2</td></tr></table>'
        '<a href="https://example.org/a?b=1&amp;c=2">链接</a> <a href="tel:043188880000">电话</a>'
    )
    out = sanitize_html(html)
    assert "<h3>标题</h3>" in out and "<strong>重点</strong>" in out and "<li>一</li>" in out
    assert '<th colspan="2">' in out and "rowspan" not in out
    assert 'href="https://example.org/a?b=1&amp;c=2"' in out and 'href="tel:043188880000"' in out
    assert 'rel="nofollow noopener noreferrer"' in out


def test_sanitiser_escapes_text_and_closes_open_tags():
    assert sanitize_html("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"
    assert sanitize_html("<p><strong>未闭合") == "<p><strong>未闭合</strong></p>"
    assert sanitize_html("</p>多余的结束标签") == "多余的结束标签"


@pytest.mark.django_db
def test_no_script_reaches_the_public_page_even_written_around_the_services(disc, client):
    item = disc.published(body="\n".join(ATTACKS), title="<script>alert('t')</script>标题")
    assert "<script" not in item.body.lower()  # stored sanitised
    # A row changed around the services (raw SQL before publication) is sanitised again
    # when rendered.
    raw = disc.draft(title="原始")
    DisclosureItem.objects.filter(pk=raw.pk).update(body="\n".join(ATTACKS))
    raw = disc.published(raw)
    for obj in (item, raw):
        html = client.get(reverse("public:item", args=[disc.community.pk, obj.pk])).content
        body = html.decode()
        # The page's own form and style are fine; nothing of the attacks may be live.
        assert _dangerous(body, tags=False) == [], body
        content = body.split('<div class="disc-body">', 1)[1].split("</div>", 1)[0]
        assert _dangerous(content) == [], content
    page = client.get(reverse("public:community", args=[disc.community.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
