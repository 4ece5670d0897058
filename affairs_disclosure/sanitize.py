"""HTML of disclosure texts, sanitised by a strict allow-list (issue #7: no script reaches a
public page). Built on Python's html.parser, no third-party package: the input is parsed
into tags and text and written out again, so only what is listed here survives —

- tags: p, br, strong, b, em, i, u, ul, ol, li, h3, h4, blockquote, table, thead, tbody, tr,
  th, td, a; any other tag is dropped and its text kept (escaped);
- the content of script, style, iframe, object, embed, svg, math, template, noscript,
  textarea, select, title and head is dropped with the tag;
- attributes: only `href` on a (http, https, mailto or tel, after entity decoding and with
  control characters and blanks removed, so "jav&#x09;ascript:" is refused) and
  colspan/rowspan (1–99) on th/td; every on* handler, style, class, id and src is gone;
- comments, processing instructions and doctype declarations are dropped;
- tags left open are closed, stray end tags ignored, so the output is well formed.

`sanitize_html` is idempotent: sanitising its output again returns it unchanged. The
services store the sanitised text, and the public templates sanitise again when rendering,
so a row written around the services is still safe."""

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "h3",
        "h4",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
    }
)
VOID_TAGS = frozenset({"br"})
DROP_CONTENT_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "template",
        "noscript",
        "textarea",
        "select",
        "title",
        "head",
        "frameset",
        "frame",
        "applet",
    }
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
MAX_SPAN = 99


def safe_url(value: str) -> str | None:
    """The URL if its scheme is allowed, else None. Blanks and control characters are removed
    first (browsers ignore them inside a scheme: "java\\tscript:")."""
    cleaned = "".join(ch for ch in (value or "") if ord(ch) > 32 and ch != "\x7f")
    if not cleaned:
        return None
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return None
    if scheme not in ALLOWED_SCHEMES:
        return None
    return cleaned


class _Sanitiser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0  # depth inside DROP_CONTENT_TAGS
        self.drop_stack: list[str] = []

    # --- tags ---

    def _attrs(self, tag, attrs) -> str:
        kept = []
        for name, value in attrs:
            name = (name or "").lower()
            if tag == "a" and name == "href":
                url = safe_url(value or "")
                if url:
                    kept.append(f' href="{escape(url, quote=True)}"')
            elif (
                tag in ("td", "th")
                and name in ("colspan", "rowspan")
                and value
                and value.isdigit()
                and 1 <= int(value) <= MAX_SPAN
            ):
                kept.append(f' {name}="{int(value)}"')
        if tag == "a" and kept:
            kept.append(' rel="nofollow noopener noreferrer"')
        return "".join(kept)

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in DROP_CONTENT_TAGS:
            self.dropping += 1
            self.drop_stack.append(tag)
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        tag = tag.lower()
        if tag in DROP_CONTENT_TAGS or self.dropping or tag not in ALLOWED_TAGS:
            return
        if tag in VOID_TAGS:
            self.out.append(f"<{tag}>")
        else:
            self.out.append(f"<{tag}{self._attrs(tag, attrs)}></{tag}>")

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag in DROP_CONTENT_TAGS:
            if tag in self.drop_stack:
                while self.drop_stack:
                    self.dropping -= 1
                    if self.drop_stack.pop() == tag:
                        break
            return
        if self.dropping or tag not in ALLOWED_TAGS or tag in VOID_TAGS:
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    # --- text and the rest ---

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def result(self) -> str:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitize_html(value: str) -> str:
    """The allow-listed HTML of `value` (see the module docstring)."""
    if not value:
        return ""
    parser = _Sanitiser()
    parser.feed(str(value))
    return parser.result().strip()


def safe_html(value: str) -> SafeString:
    """sanitize_html, marked safe for a template (the only place this app marks HTML safe)."""
    return mark_safe(sanitize_html(value))  # noqa: S308 - allow-listed just above
