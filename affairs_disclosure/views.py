"""Residents' pages (/public/): no login, mobile-first, no JavaScript. Only published (or
archived) items of active communities ever appear; a draft, an unpublished item, or an id of
another community or street is 404 whatever the URL (items are reached through their own
community's URL only).

The community page (DISC-1(1) office facts and committee, the current disclosures by category,
the history by quarter) is rendered once per page version and language and served from the
cache (affairs_disclosure.public_cache): a hit reads the version and the page, no database
query; the visitor's CSRF token for the language form is put in per request. Every
publication, and every change of what the page shows, replaces the version, so a newly
published item shows at once."""

import contextlib

import segno
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from affairs_disclosure import public_cache, rules, selectors
from affairs_disclosure.forms import QuestionForm
from affairs_disclosure.models import QuestionKind
from affairs_disclosure.services import question_submit
from communities.selectors import public_community_get, public_street_list

RATE_WINDOW_SECONDS = 3600


def index(request):
    return render(request, "public/index.html", {"streets": public_street_list()})


class _PagePath:
    """What the base template reads from the request while the cached page is rendered."""

    def __init__(self, path):
        self.path = path

    def get_full_path(self):
        return self.path


def cached_page(pk: int, path: str, build) -> str:
    """A public page of community `pk` with CSRF_PLACEHOLDER, from the cache when its version
    is there, else `build()` (which raises Http404 for an inactive or unknown community)."""
    key = f"disclosure:public:page:{pk}:{public_cache.page_version(pk)}:{get_language()}:{path}"
    html = public_cache.page_get(key)
    if html is None:
        html = build()
        public_cache.page_set(key, html)
    return html


def _render_page(template, path, context) -> str:
    context = {
        **context,
        "csrf_token": public_cache.CSRF_PLACEHOLDER,
        "request": _PagePath(path),
    }
    return render_to_string(template, context)


def _respond(request, html) -> HttpResponse:
    return HttpResponse(html.replace(public_cache.CSRF_PLACEHOLDER, get_token(request)))


def community(request, pk):
    """The community's office facts and committee (DISC-1(1)), its current disclosures by
    category and the quarters of its history."""

    def build():
        obj = public_community_get(pk=pk)
        board = selectors.public_board(selectors.public_items(obj.pk))
        return _render_page(
            "public/community.html", request.path, {"community": obj, "board": board}
        )

    return _respond(request, cached_page(pk, request.path, build))


def history(request, pk, year):
    """One year of the community's public items, by quarter."""

    def build():
        obj = public_community_get(pk=pk)
        items = selectors.public_items(obj.pk, year=year)
        context = {
            "community": obj,
            "year": year,
            "quarters": selectors.public_history(items, year),
        }
        return _render_page("public/history.html", request.path, context)

    return _respond(request, cached_page(pk, request.path, build))


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_key(request) -> str:
    return f"disclosure:questions:ip:{_client_ip(request)}"


def rate_limit_take(request) -> bool:
    """DISC-4 form: at most rules.QUESTIONS_PER_IP_PER_HOUR questions an hour from one
    address (a fixed window from the first one, counted in the cache)."""
    key = _rate_key(request)
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    return count <= rules.QUESTIONS_PER_IP_PER_HOUR


def rate_limit_give_back(request) -> None:
    with contextlib.suppress(ValueError):
        cache.decr(_rate_key(request))


@require_http_methods(["GET", "POST"])
def item(request, community_pk, pk):
    """One published item: text, tables, attachments, "已更正" marks, published replies,
    and the question form (DISC-4)."""
    obj = selectors.public_item_get(community_pk=community_pk, pk=pk)
    url = reverse("public:item", args=[community_pk, pk])
    status = 200
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_bot:
            return redirect(f"{url}?sent=1#ask")  # thanked and dropped
        if form.is_valid():
            if not rate_limit_take(request):
                form.add_error(
                    None,
                    _("提交过于频繁：每小时最多提交 %(n)s 条，请稍后再试。")
                    % {"n": rules.QUESTIONS_PER_IP_PER_HOUR},
                )
                status = 429
            else:
                data = form.cleaned_data
                try:
                    _question, created = question_submit(
                        item=obj,
                        kind=data["kind"],
                        body=data["body"],
                        contact=data["contact"],
                        token=data["token"],
                    )
                except ValidationError as exc:
                    rate_limit_give_back(request)
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    if not created:
                        rate_limit_give_back(request)
                    return redirect(f"{url}?sent={'1' if created else 'dup'}#ask")
        if status == 200:
            status = 400
    else:
        form = QuestionForm()
    context = {
        "item": obj,
        "community": obj.community,
        "form": form,
        "sent": request.GET.get("sent"),
        "kinds": dict(QuestionKind.choices),
        "reply_days": obj.community.profile.question_reply_days,
    }
    return render(request, "public/item.html", context, status=status)


def attachment(request, community_pk, pk):
    """An attachment of a published item: images inline, PDFs as a download, never run as
    a page (sandboxed, no sniffing)."""
    obj = selectors.public_attachment_get(community_pk=community_pk, pk=pk)
    response = FileResponse(
        obj.file.open("rb"),
        content_type=obj.content_type,
        as_attachment=not obj.is_image,
        filename=obj.name,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"
    return response


def public_url(request, community_pk: int) -> str:
    """The address printed on the poster: settings.PUBLIC_BASE_URL when the site sits behind
    a proxy with another name, else this request's own scheme and host."""
    path = reverse("public:community", args=[community_pk])
    base = getattr(settings, "PUBLIC_BASE_URL", "") or ""
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def poster(request, pk):
    """An A4 poster for the notice board (DISC-5: the public pages add to the board): the
    community's name, the address and its QR code (segno, inline SVG), with a print
    stylesheet. Linked from the admin and the portal."""
    obj = public_community_get(pk=pk)
    url = public_url(request, obj.pk)
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(omitsize=True, border=2, dark="#000", light="#fff")
    context = {
        "community": obj,
        "url": url,
        "qr_svg": mark_safe(svg),  # noqa: S308 - generated by segno from our own URL
    }
    return render(request, "public/poster.html", context)
