"""Admin of affairs disclosure, in Chinese: items (drafts edited through the services; the
workflow as buttons on the item and as list actions), attachments, residents' questions
(answered or closed through the services), the street table (DISC-2) and the generation of
drafts from the quarterly statement and the ledgers. Every list is scoped; another
community's id is 404."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from affairs_disclosure import rules, selectors, services
from affairs_disclosure.forms import FinanceGenerateForm, ListGenerateForm
from affairs_disclosure.models import (
    ApprovalSide,
    Channel,
    DisclosureAttachment,
    DisclosureItem,
    ItemState,
    QuestionState,
    ResidentQuestion,
)
from affairs_disclosure.portal_views import _communities_where, actions_for, quarter_options
from affairs_disclosure.sanitize import safe_html
from affairs_disclosure.services.common import perm
from core.admin import ScopedModelAdmin
from core.scoping import can


def _errors(model_admin, request, exc) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        model_admin.message_user(request, message, messages.ERROR)


def _date(value):
    return dt.date.fromisoformat(value) if value else None


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
        return services.item_stamp(user=user, item=item, stamped_on=_date(data.get("on")))
    if name == "publish":
        return services.item_publish(user=user, item=item, published_on=_date(data.get("on")))
    if name == "archive":
        return services.item_archive(user=user, item=item)
    if name == "return":
        return services.item_return(user=user, item=item, reason=data.get("reason", ""))
    return services.item_correct(user=user, item=item, reason=data.get("reason", ""))


@admin.register(DisclosureItem)
class DisclosureItemAdmin(ScopedModelAdmin):
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
            _errors(self, request, exc)
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

    def status_view(self, request):
        """DISC-2: the street table, per community and quarter."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from affairs_disclosure.portal_views import _quarter_param

        year, quarter = _quarter_param(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("居务公开情况统计表"),
            "table": selectors.status_table(user=request.user, year=year, quarter=quarter),
            "options": quarter_options(timezone.localdate()),
            "selected": rules.quarter_label(year, quarter),
        }
        return TemplateResponse(request, "admin/affairs_disclosure/status_table.html", context)

    def generate_view(self, request):
        """Drafts from a stamped quarterly statement (FIN-7) or from the ledgers' lists."""
        user = request.user
        communities = _communities_where(user, perm("add"))
        if not communities.exists():
            raise PermissionDenied
        statements = selectors.statements_for_generation(user=user).filter(
            community__in=communities
        )
        forms_ = {
            "finance": FinanceGenerateForm(statements=statements, prefix="fin"),
            "list": ListGenerateForm(communities=communities, prefix="list"),
        }
        if request.method == "POST":
            which = "finance" if request.POST.get("which") == "finance" else "list"
            form = (
                FinanceGenerateForm(request.POST, statements=statements, prefix="fin")
                if which == "finance"
                else ListGenerateForm(request.POST, communities=communities, prefix="list")
            )
            forms_[which] = form
            if form.is_valid() and form.claim_token(user):
                data = form.cleaned_data
                try:
                    if which == "finance":
                        item = services.item_generate_finance(
                            user=user, statement=data["statement"]
                        )
                    else:
                        item = services.item_generate_list(
                            user=user,
                            community=data["community"],
                            category=data["category"],
                            year=data["year"],
                            quarter=data["quarter"],
                        )
                except (ValidationError, PermissionDenied) as exc:
                    form.release_token(user)
                    _errors(self, request, exc)
                else:
                    self.message_user(request, _("已生成草稿，请核对后提请核准。"))
                    return HttpResponseRedirect(
                        reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("生成公开草稿"),
            "finance_form": forms_["finance"],
            "list_form": forms_["list"],
        }
        return TemplateResponse(request, "admin/affairs_disclosure/generate.html", context)


class AttachmentAdminForm(forms.ModelForm):
    class Meta:
        model = DisclosureAttachment
        fields = ["item", "file"]


@admin.register(DisclosureAttachment)
class DisclosureAttachmentAdmin(ScopedModelAdmin):
    """Images and PDFs of drafts (type sniffed, size checked by the service)."""

    form = AttachmentAdminForm
    list_display = ("name", "item", "content_type", "size", "uploaded_at")
    list_select_related = ("item__community",)
    search_fields = ("name", "item__title")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "item":
            field.queryset = field.queryset.filter(state=ItemState.DRAFT).defer("body", "tables")
        return field

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return can(request.user, perm("change"))

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.item.state != ItemState.DRAFT:
            return False
        return can(request.user, perm("change"), obj.item if obj is not None else None)

    def save_model(self, request, obj, form, change):
        attachment = services.attachment_add(
            user=request.user, item=form.cleaned_data["item"], upload=form.cleaned_data["file"]
        )
        obj.pk = attachment.pk

    def delete_model(self, request, obj):
        services.attachment_delete(user=request.user, instance=obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class CheckedForm(form):
            def clean_file(self):
                upload = self.cleaned_data.get("file")
                if upload is not None:
                    try:
                        services.check_upload(upload)
                    except ValidationError as exc:
                        raise forms.ValidationError(exc.message_dict["file"]) from None
                return upload

            def _post_clean(self):
                pass  # content type and size are set by the service

        return CheckedForm


def _validate_question(*, user, instance):
    if not (instance.reply or "").strip() and not (instance.close_reason or "").strip():
        raise ValidationError(
            {"reply": _("请填写答复（将公布在公开事项下），或填写办结说明后办结")}
        )


@admin.register(ResidentQuestion)
class ResidentQuestionAdmin(ScopedModelAdmin):
    """DISC-4: residents' questions as cases with a deadline; a reply is published under the
    item at once; a closed question is not published."""

    validate_service = staticmethod(_validate_question)
    list_display = ("id", "community", "item", "kind", "state", "received_at", "due_on", "overdue")
    list_filter = ("state", "kind", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("body", "item__title")
    list_select_related = ("community", "item")
    fields = (
        "community",
        "item",
        "kind",
        "body",
        "contact",
        "received_at",
        "due_on",
        "state",
        "public_text",
        "reply",
        "close_reason",
        "replied_at",
        "replied_by",
    )
    readonly = (
        "community",
        "item",
        "kind",
        "body",
        "contact",
        "received_at",
        "due_on",
        "state",
        "replied_at",
        "replied_by",
    )

    @admin.display(description=gettext_lazy("逾期"), boolean=True)
    def overdue(self, obj):
        return obj.state == QuestionState.OPEN and obj.due_on < timezone.localdate()

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.state != QuestionState.OPEN:
            return self.fields
        return self.readonly

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != QuestionState.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if (obj.reply or "").strip():
            services.question_reply(
                user=request.user, question=obj, reply=obj.reply, public_text=obj.public_text
            )
        else:
            services.question_close(user=request.user, question=obj, reason=obj.close_reason)
