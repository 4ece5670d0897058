"""The portal's sign-in page and leave form at a 360 px wide screen (issue #8 "usable on a
360 px wide screen").

Markup-level only, stated honestly: no browser renders the pages here. What is checked is
what makes a page fit a phone without a layout engine: the viewport meta tag, that the
stylesheets the pages link set no width (width, min-width, flex-basis) over 360 px outside
`@media (min-width: ...)` blocks, that the pages carry no fixed-width attributes, inline
styles or tables, and that every visible form control and the submit button is full width
(a `.field` control, which the stylesheet sets to 100%, or an inline width:100%)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from core.models import Role
from core.services import role_assign
from tests.factories import CommunityFactory, UserFactory
from tests.staffing.factories import WorkerFactory

SCREEN = 360
WIDTH = re.compile(r"(?<![\w-])(min-width|width|flex-basis)\s*:\s*(\d+(?:\.\d+)?)(px|rem|em)")
FULL = re.compile(r"width\s*:\s*100%")


class Page(HTMLParser):
    """Stylesheets, fixed widths and form controls (with the classes of their ancestors)."""

    VOID = {"input", "meta", "link", "br", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.sheets, self.viewport, self.controls, self.fixed, self.tables = [], None, [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = " ".join(c for _t, c in self.stack)
        if tag == "meta" and a.get("name") == "viewport":
            self.viewport = a.get("content")
        if tag == "link" and a.get("rel") == "stylesheet":
            self.sheets.append(a["href"])
        if tag == "table":
            self.tables += 1
        if a.get("width") or re.search(r"\d{3,}px", a.get("style") or ""):
            self.fixed.append((tag, a))
        kind = a.get("type", "")
        if tag in ("select", "textarea") or (
            tag == "input" and kind not in ("hidden", "checkbox", "radio")
        ):
            self.controls.append((tag, a.get("name"), classes, a.get("style") or ""))
        if tag == "button" and kind == "submit":
            self.controls.append((tag, a.get("name"), f"{classes} {a.get('class', '')}", ""))
        if tag not in self.VOID:
            self.stack.append((tag, a.get("class") or ""))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def _css(href: str) -> str:
    path = finders.find(href.split("/static/", 1)[-1])
    assert path, href
    return Path(path).read_text(encoding="utf-8")


def _without_wide_media(css: str) -> str:
    """Drop `@media (min-width: ...) { ... }` blocks: they apply only to wider screens."""
    out, i = [], 0
    for match in re.finditer(r"@media[^{]*min-width[^{]*\{", css):
        if match.start() < i:
            continue
        out.append(css[i : match.start()])
        depth, j = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        i = j
    return "".join(out) + css[i:]


def _px(value: str, unit: str) -> float:
    return float(value) * (16 if unit in ("rem", "em") else 1)


@pytest.fixture
def worker_user(db):
    community = CommunityFactory()
    user = UserFactory()
    WorkerFactory(community=community, user=user)
    role_assign(by=None, user=user, role=Role.MEMBER, community=community)
    return user


@pytest.mark.parametrize("name", ["attendance:me", "attendance:leave_new"])
def test_att1_att2_sign_in_and_leave_form_fit_a_360px_screen(client, worker_user, name):
    client.force_login(worker_user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = Page()
    page.feed(response.content.decode())
    assert page.viewport == "width=device-width, initial-scale=1"
    assert not page.fixed and not page.tables
    assert page.sheets
    css = "".join(_css(href) for href in page.sheets)
    narrow = _without_wide_media(css)
    too_wide = [m.group(0) for m in WIDTH.finditer(narrow) if _px(m[2], m[3]) > SCREEN]
    # max-width caps (e.g. `.page { max-width: 48rem }`) only limit wider screens: allowed.
    too_wide = [w for w in too_wide if not w.startswith("max-")]
    assert not too_wide, too_wide
    assert re.search(r"\.field input, \.field select, \.field textarea \{ width: 100%", css)
    assert re.search(r"button\.block \{ width: 100%", css)
    assert any("page" in c.split() for _t, _f, c, _s in page.controls)  # the page's own form
    for tag, field, classes, style in page.controls:
        if "page" not in classes.split():  # header (logout) and footer (language): inline links
            continue
        if tag == "button":
            assert "block" in classes.split(), (tag, field)
        else:
            assert "field" in classes.split() or FULL.search(style), (tag, field, classes)


def test_att2_leave_form_has_every_control_a_phone_needs(client, worker_user):
    client.force_login(worker_user)
    page = Page()
    page.feed(client.get(reverse("attendance:leave_new")).content.decode())
    tags = {(tag, field) for tag, field, _c, _s in page.controls}
    assert {("select", "leave_type"), ("textarea", "reason"), ("input", "attachment")} <= tags
    assert ("input", "start_date") in tags and ("input", "end_date") in tags
