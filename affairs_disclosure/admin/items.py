"""Admin of disclosure items (DISC-1..7): drafts edited through the services; the workflow
as buttons on the item and as list actions. The street table and the generated drafts are
extra views of the same admin (affairs_disclosure.admin.tools)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from affairs_disclosure import rules, selectors, services
from affairs_disclosure.admin.common import date_or_none, show_errors
from affairs_disclosure.admin.tools import DisclosureToolsMixin
from affairs_disclosure.models import (
    ApprovalSide,
    Channel,
    DisclosureItem,
    ItemState,
)
from affairs_disclosure.portal_views import actions_for
from affairs_disclosure.sanitize import safe_html
from core.admin import ScopedModelAdmin


class ItemAdminForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("公开形式（DISC-5）"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = DisclosureItem
        fields = [
            "community",
            "category",
            "year",
            "quarter",
            "month",
            "title",
            "body",
            "tables",
            "channels",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("month"):
            cleaned["quarter"] = rules.quarter_of_month(cleaned["month"])
            self.instance.quarter = cleaned["quarter"]
        problem = rules.tables_problem(cleaned.get("tables") or [])
        if problem:
            self.add_error("tables", problem)
        return cleaned


TRANSITIONS = {
    "approve_party": gettext_lazy("已以社区党组织名义核准"),
    "approve_committee": gettext_lazy("已以居委会成员名义核准"),
    "stamp": gettext_lazy("已审核签章"),
    "publish": gettext_lazy("已公布"),
    "archive": gettext_lazy("已归档"),
    "return": gettext_lazy("已退回为草稿"),
    "correct": gettext_lazy("已生成更正版本"),
}


def run_transition(user, item, name, data):
    if name in ("approve_party", "approve_committee"):
        side = ApprovalSide.PARTY if name == "approve_party" else ApprovalSide.COMMITTEE
        return services.item_approve(
            user=user, item=item, side=side, comment=data.get("comment", "")
        )
    if name == "stamp":
        return services.item_stamp(user=user, item=item, stamped_on=date_or_none(data.get("on")))
    if name == "publish":
        return services.item_publish(
            user=user, item=item, published_on=date_or_none(data.get("on"))
        )
    if name == "archive":
        return services.item_archive(user=user, item=item)
    if name == "return":
        return services.item_return(user=user, item=item, reason=data.get("reason", ""))
    return services.item_correct(user=user, item=item, reason=data.get("reason", ""))


@admin.register(DisclosureItem)
class DisclosureItemAdmin(DisclosureToolsMixin, ScopedModelAdmin):
    """DISC-1..7: drafts are edited here through affairs_disclosure.services.item_save;
    approvals, the stamp and publication are buttons on the item (and list actions)."""

    form = ItemAdminForm
    save_service = staticmethod(services.item_save)
    delete_service = staticmethod(services.item_delete)
    list_display = (
        "title",
        "community",
        "category",
        "period",
        "version",
        "state",
        "published_on",
    )
    list_filter = (
        "state",
        "category",
        "year",
        "quarter",
        ("community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "community__name")
    list_select_related = ("community",)
    change_form_template = "admin/affairs_disclosure/disclosureitem/change_form.html"
    change_list_template = "admin/affairs_disclosure/disclosureitem/change_list.html"
    actions = ["approve_party", "approve_committee", "stamp", "publish", "archive"]
    readonly_info = (
        "state",
        "version",
        "supersedes",
        "correction_reason",
        "source",
        "source_statement",
        "source_sitting",
        "created_by",
        "approvals_display",
        "stamped_on",
        "stamped_by",
        "published_on",
        "published_by",
        "archived_at",
        "public_link",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body", "tables")

    @admin.display(description=gettext_lazy("期间"))
    def period(self, obj):
        return obj.period_label

    @admin.display(description=gettext_lazy("核准（DISC-3）"))
    def approvals_display(self, obj):
        rows = [
            (
                a.get_side_display(),
                a.user,
                timezone.localtime(a.approved_at).strftime("%Y-%m-%d %H:%M"),
            )
            for a in obj.approvals.select_related("user")
        ]
        return format_html_join("", "<div>{}：{}（{}）</div>", rows) or "—"

    @admin.display(description=gettext_lazy("公开页面"))
    def public_link(self, obj):
        links = format_html(
            '<a href="{}">{}</a>',
            reverse("public:poster", args=[obj.community_id]),
            _("二维码海报"),
        )
        if obj.is_public:
            url = reverse("public:item", args=[obj.community_id, obj.pk])
            return format_html('<a href="{}">{}</a> · {}', url, _("查看"), links)
        return links

    def get_fields(self, request, obj=None):
        editable = list(ItemAdminForm.Meta.fields)
        if obj is None:
            return editable
        return editable + list(self.readonly_info)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.state != ItemState.DRAFT or not super().has_change_permission(request, obj):
            return self.get_fields(request, obj)
        fixed = (
            ("community", "category", "year", "quarter", "month")
            if obj.supersedes_id
            else ("community",)
        )
        return fixed + self.readonly_info

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != ItemState.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != ItemState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("status/", wrap(self.status_view), name="affairs_disclosure_status"),
            path("generate/", wrap(self.generate_view), name="affairs_disclosure_generate"),
            path(
                "<path:object_id>/transition/<str:name>/",
                wrap(self.transition_view),
                name="affairs_disclosure_disclosureitem_transition",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            item = selectors.item_get(user=request.user, pk=obj.pk)
            actions = actions_for(request.user, item)
            extra["buttons"] = [
                name
                for name, allowed in (
                    ("approve_party", actions["approve_party"]),
                    ("approve_committee", actions["approve_committee"]),
                    ("stamp", actions["stamp"]),
                    ("publish", actions["publish"]),
                    ("archive", actions["archive"]),
                    ("return", actions["return"]),
                    ("correct", actions["correct"]),
                )
                if allowed
            ]
            extra["item"] = item
            extra["body_html"] = safe_html(item.body)
        return super().change_view(request, object_id, form_url, extra)

    def transition_view(self, request, object_id, name):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        url = reverse("admin:affairs_disclosure_disclosureitem_change", args=[obj.pk])
        if request.method != "POST" or name not in TRANSITIONS:
            return HttpResponseRedirect(url)
        try:
            result = run_transition(request.user, obj, name, request.POST)
        except (ValidationError, PermissionDenied, ValueError) as exc:
            show_errors(self, request, exc)
            return HttpResponseRedirect(url)
        self.message_user(request, TRANSITIONS[name])
        return HttpResponseRedirect(
            reverse("admin:affairs_disclosure_disclosureitem_change", args=[result.pk])
        )

    def _bulk(self, request, queryset, name):
        done = 0
        for obj in queryset:
            try:
                run_transition(request.user, obj, name, {})
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", None) or [str(exc)]:
                    self.message_user(request, f"{obj}：{message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, _("%(label)s %(n)s 项") % {"label": TRANSITIONS[name], "n": done}
            )

    @admin.action(description=gettext_lazy("以社区党组织名义核准所选事项（DISC-3）"))
    def approve_party(self, request, queryset):
        self._bulk(request, queryset, "approve_party")

    @admin.action(description=gettext_lazy("以居委会成员名义核准所选事项（DISC-3）"))
    def approve_committee(self, request, queryset):
        self._bulk(request, queryset, "approve_committee")

    @admin.action(description=gettext_lazy("监管会审核签章所选财务公开（FIN-7）"))
    def stamp(self, request, queryset):
        self._bulk(request, queryset, "stamp")

    @admin.action(description=gettext_lazy("公布所选事项"))
    def publish(self, request, queryset):
        self._bulk(request, queryset, "publish")

    @admin.action(description=gettext_lazy("归档所选事项"))
    def archive(self, request, queryset):
        self._bulk(request, queryset, "archive")
