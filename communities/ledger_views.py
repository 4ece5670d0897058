"""Ledger pages of the worker portal (/portal/ledgers/, issue #4): thin views over
communities.ledger_selectors, writes through communities.ledger_services. Another
community's household, resident or community is 404 on every URL; a role without the
permission in its own community gets 403. ID numbers and phones are masked on every page;
a permitted role reveals one record's values with a POST, which is logged."""

from html import escape

from django.contrib import messages
from django.contrib.auth.context_processors import PermLookupDict, PermWrapper
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import ledger_export_views as export_views
from communities import ledger_jobs as jobs
from communities import ledger_services as services
from communities import rules
from communities.ledger_exports import resident_export_count, resident_export_response
from communities.ledger_forms import HouseholdForm, ResidentFilterForm, ResidentForm
from communities.ledger_selectors import (
    LedgerPaginator,
    coverage_report,
    household_get,
    household_list,
    ledger_community_get,
    resident_get,
    resident_list_base,
    resident_page_rows,
)
from communities.models import Household, RegistrationType, Resident
from core.middleware import client_ip
from core.scoping import can

RESIDENTS_PER_PAGE = 25  # a phone screen shows 20-30 rows
HOUSEHOLDS_PER_PAGE = 50


class _ScopeFirstPermLookup(PermLookupDict):
    def __getitem__(self, perm_name):
        perm = f"{self.app_label}.{perm_name}"
        return can(self.user, perm) or self.user.has_perm(perm)


class ScopeFirstPerms(PermWrapper):
    """The templates' `perms` (the page header asks perms.core.view_reminder), answered
    first from the role scope this request has already computed (core.scoping.can, what
    core.backends.RoleBackend answers) and from all the backends only when that says no:
    the same answer as Django's PermWrapper, without ModelBackend's two queries for a user
    whose roles grant the permission."""

    def __getitem__(self, app_label):
        return _ScopeFirstPermLookup(self.user, app_label)


def _require(user, perm, obj):
    if not can(user, perm, obj):
        raise PermissionDenied


def _community(request, community_id, perm):
    community = ledger_community_get(user=request.user, pk=community_id)
    _require(request.user, perm, community)
    return community


def _mask_row(resident, today):
    resident.id_masked = rules.mask_id(resident.id_number)
    resident.phone_masked = rules.mask_phone(resident.phone)
    resident.age_group = rules.age_group(resident.birth_date, today)
    return resident


def _flag_of(duplicate, elsewhere, moved_out_on, id_valid) -> tuple[str, str]:
    """(css class, text) of the review flag shown with a resident."""
    if duplicate:
        return "finding-warning", _("他社区亦有在册登记，待核查")
    if elsewhere:
        return "finding-ok", _("人户分离（他社区亦登记）")
    if moved_out_on is None and not id_valid:
        return "finding-warning", _("无有效身份证号")
    return "", ""


# One list row. Built in Python, every value escaped: the template loop over 25 rows of
# eight fields was the largest part of the page's rendering time.
_ROW = (
    '<li class="card"><a class="card-title" href="{url}">{name}</a> '
    '<span class="muted">{details}</span>\n<div>{address}</div>\n'
    '<div class="muted">{contact}</div>{groups}{flag}</li>\n'
)


def _list_rows(page, today) -> str:
    """The list's rows as HTML, from resident_page_rows' dicts: masked ID number and phone,
    age group, special groups and the review flag of each resident."""
    url = reverse("ledgers:resident", args=[0]).replace("/0/", "/{}/")
    genders = {"male": _("男"), "female": _("女")}
    registrations = {k: str(v) for k, v in RegistrationType.choices}
    no_id = _("无身份证号")
    out = []
    for r in page:
        flag_class, flag = _flag_of(
            r["duplicate_elsewhere"], r["registered_elsewhere"], r["moved_out_on"], r["id_valid"]
        )
        details = [genders.get(r["gender"], ""), rules.age_group(r["birth_date"], today)]
        details.append(registrations.get(r["registration_type"], ""))
        contact = [rules.mask_id(r["id_number"]) or no_id, rules.mask_phone(r["phone"])]
        if r["moved_out_on"]:
            contact.append(_("%(day)s 迁出") % {"day": r["moved_out_on"].isoformat()})
        groups = [g for g in (r["group_names"] or "").split("、") if g]
        out.append(
            _ROW.format(
                url=url.format(int(r["id"])),
                name=escape(r["name"]),
                details=escape(" · ".join(d for d in details if d)),
                address=escape(r["address"]),
                contact=escape(" · ".join(c for c in contact if c)),
                groups=(
                    '<div class="badges">'
                    + "".join(f'<span class="finding">{escape(g)}</span> ' for g in groups)
                    + "</div>"
                )
                if groups
                else "",
                flag=f'<span class="finding {flag_class}">{escape(flag)}</span>' if flag else "",
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def residents(request, community_id):
    """The resident ledger of one community: search (name, pinyin initials, ID or phone
    tail, address), filters (group, grid tier, registration type, moved out), in address
    order, 25 a page (a phone screen); masked ID numbers and phones."""
    community = _community(request, community_id, "communities.view_resident")
    form = ResidentFilterForm(request.GET or None, community=community)
    today = timezone.localdate()
    filters = form.filters()
    residents = resident_list_base(
        user=request.user, community_id=community.pk, today=today, **filters
    )
    # The count depends on the community, the filters and the day only: the user may see
    # this community's residents (checked above), so their scope adds nothing to it.
    count_key = repr(("residents", community.pk, sorted(filters.items()), today.isoformat()))
    paginator = LedgerPaginator(
        residents,
        RESIDENTS_PER_PAGE,
        rows=lambda ids: resident_page_rows(ids, today),
        count_key=count_key,
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "community": community,
        "form": form,
        "page": page,
        "rows": _list_rows(page, today),
        "query": _query_without_page(request),
        "can_add": can(request.user, "communities.add_household", community),
        "can_export_full": can(request.user, services.REVEAL_PERM, community),
        "can_view_targets": can(request.user, services.VIEW_SPECIAL_PERM, community),
        "perms": ScopeFirstPerms(request.user),
    }
    return render(request, "portal/ledgers/resident_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def residents_export(request, community_id):
    """The list as .xlsx, as filtered: masked (GET), or with full values (POST reveal=1,
    permitted roles only). Logged either way."""
    community = _community(request, community_id, "communities.view_resident")
    params = request.POST if request.method == "POST" else request.GET
    form = ResidentFilterForm(params, community=community)
    reveal = request.method == "POST" and params.get("reveal") == "1"
    if reveal:
        _require(request.user, services.REVEAL_PERM, community)
    filters = {**form.filters(), "community_id": community.pk}
    rows = resident_export_count(user=request.user, filters=filters)
    if not jobs.export_in_background(rows):
        return resident_export_response(request, filters=filters, reveal=reveal)
    if request.method != "POST":  # a GET never queues work: ask first
        return export_views.export_confirm(request, rows=rows, params=params, community=community)
    return export_views.export_queue(request, community=community, filters=filters, reveal=reveal)


def _resident_context(request, resident, revealed=None):
    today = timezone.localdate()
    _mask_row(resident, today)
    return {
        "resident": resident,
        "community": resident.community,
        "revealed": revealed,
        "can_reveal": can(request.user, services.REVEAL_PERM, resident),
        "can_change": can(request.user, "communities.change_resident", resident),
        "can_add_group": can(request.user, "communities.add_specialgroupmember", resident),
        "can_change_group": can(request.user, "communities.change_specialgroupmember", resident),
        "can_add_target": can(request.user, "communities.add_specialtarget", resident),
        "today": today,
    }


@login_required
def resident(request, pk):
    obj = resident_get(user=request.user, pk=pk)
    return render(request, "portal/ledgers/resident_detail.html", _resident_context(request, obj))


@login_required
@require_POST
def resident_reveal(request, pk):
    """The full ID number and phone of one resident, for permitted roles: logged, rendered
    in this response only (never stored in a URL or the session)."""
    obj = resident_get(user=request.user, pk=pk)
    values = services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))
    context = _resident_context(request, obj, revealed=values)
    return render(request, "portal/ledgers/resident_detail.html", context)


@login_required
def households(request, community_id):
    community = _community(request, community_id, "communities.view_household")
    q = request.GET.get("q", "").strip()
    rows = household_list(user=request.user, community_id=community.pk, q=q or None)
    page = LedgerPaginator(rows, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    for household in page:
        household.phone_masked = rules.mask_phone(household.phone)
    context = {
        "community": community,
        "page": page,
        "q": q,
        "query": _query_without_page(request),
        "can_add": can(request.user, "communities.add_household", community),
        "can_export_full": can(request.user, services.REVEAL_PERM, community),
    }
    return render(request, "portal/ledgers/household_list.html", context)


def _household_context(request, household, revealed=None):
    today = timezone.localdate()
    household.phone_masked = rules.mask_phone(household.phone)
    for row in household.resident_rows:
        _mask_row(row, today)
    return {
        "household": household,
        "community": household.community,
        "revealed": revealed,
        "can_reveal": can(request.user, services.REVEAL_PERM, household),
        "can_change": can(request.user, "communities.change_household", household),
        "can_add_resident": can(request.user, "communities.add_resident", household),
    }


@login_required
def household(request, pk):
    obj = household_get(user=request.user, pk=pk)
    context = _household_context(request, obj)
    return render(request, "portal/ledgers/household_detail.html", context)


@login_required
@require_POST
def household_reveal(request, pk):
    obj = household_get(user=request.user, pk=pk)
    values = services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))
    context = _household_context(request, obj, revealed=values)
    return render(request, "portal/ledgers/household_detail.html", context)


def _save(request, *, form, save, title, subject, back_url, target):
    """POST-redirect-GET with a one-time token: a valid form is saved once through the
    service; a rule's error is shown by its field; the same form sent again saves nothing
    and goes where the first submit went."""
    if request.method == "POST" and (earlier := form.submitted_before(request.user)):
        messages.info(request, _("该表单已经提交过，未重复保存。"))
        return redirect(earlier)
    if request.method == "POST" and form.is_valid():
        if not form.claim_token(request.user):
            messages.info(request, _("该表单已经提交过，未重复保存。"))
            return redirect(form.token_target(request.user) or back_url)
        try:
            obj = save(form.instance)
        except ValidationError as exc:
            form.release_token(request.user)
            form.add_service_errors(exc)
        else:
            url = target(obj)
            form.token_done(request.user, url)
            messages.success(request, _("已保存。"))
            return redirect(url)
    context = {"form": form, "title": title, "subject": subject, "back_url": back_url}
    return render(request, "portal/ledgers/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household_add(request, community_id):
    community = _community(request, community_id, "communities.add_household")
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, instance=Household(community=community), community=community)
    return _save(
        request,
        form=form,
        save=lambda h: services.household_save(user=request.user, household=h),
        title=_("登记住户"),
        subject=community,
        back_url=reverse("ledgers:households", args=[community.pk]),
        target=lambda h: reverse("ledgers:household", args=[h.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    obj = household_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_household", obj)
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, instance=obj, community=obj.community)
    back = reverse("ledgers:household", args=[obj.pk])
    return _save(
        request,
        form=form,
        save=lambda h: services.household_save(user=request.user, household=h),
        title=_("修改住户"),
        subject=obj,
        back_url=back,
        target=lambda h: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_add(request, pk):
    """A new resident in this household (the community comes from the household)."""
    obj = household_get(user=request.user, pk=pk)
    _require(request.user, "communities.add_resident", obj)
    data = request.POST if request.method == "POST" else None
    form = ResidentForm(data, instance=Resident(household=obj, community_id=obj.community_id))
    return _save(
        request,
        form=form,
        save=lambda r: _resident_save(request, r),
        title=_("登记居民"),
        subject=obj,
        back_url=reverse("ledgers:household", args=[obj.pk]),
        target=lambda r: reverse("ledgers:resident", args=[r.pk]),
    )


def _resident_save(request, resident):
    saved = services.resident_save(user=request.user, resident=resident)
    if services.same_id_elsewhere(saved):
        if saved.registration_type == RegistrationType.SEPARATED:
            messages.info(request, _("该身份证号在其他社区也有在册登记，已按人户分离登记。"))
        else:
            messages.warning(
                request,
                _("该身份证号在其他社区也有在册登记，已标记待核查；如属人户分离，请修改户籍类型。"),
            )
    return saved


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request, pk):
    obj = resident_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_resident", obj)
    data = request.POST if request.method == "POST" else None
    form = ResidentForm(data, instance=obj)
    back = reverse("ledgers:resident", args=[obj.pk])
    return _save(
        request,
        form=form,
        save=lambda r: _resident_save(request, r),
        title=_("修改居民信息"),
        subject=obj,
        back_url=back,
        target=lambda r: back,
    )


@login_required
def coverage(request, community_id):
    """清查不漏幢、摸底不漏户、造册不漏人: households registered vs. expected per building
    and unit, units without households, residents without a valid ID, duplicates."""
    community = _community(request, community_id, "communities.view_household")
    report = coverage_report(user=request.user, community_id=community.pk)
    if not report.communities:
        raise Http404  # an abolished community has no coverage to report
    context = {"community": community, "report": report, "c": report.communities[0]}
    return render(request, "portal/ledgers/coverage.html", context)
