"""Admin of expense claims (issue #6): the scoped list, the read-only claim with its
invoices, approvals and payments, the approver's inbox across every community they cover,
and the collective review form. Imported by finance/admin.py. Thin: every decision calls
finance.services."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ScopedModelAdmin
from finance import selectors, services
from finance.inbox_filters import InboxFilter
from finance.models import (
    ApprovalRecord,
    ApprovalStep,
    ClaimAttachment,
    Decision,
    ExpenseClaim,
    Payment,
)

INBOX_PER_PAGE = 50


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the parent claim's view permission already applies


class AttachmentInline(ReadOnlyInline):
    model = ClaimAttachment
    fields = ("kind", "download", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=gettext_lazy("文件"))
    def download(self, obj):
        url = reverse("admin:finance_expenseclaim_attachment", args=[obj.claim_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class ApprovalInline(ReadOnlyInline):
    model = ApprovalRecord
    fields = ("step", "decision", "user", "comment", "at", "members")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("user").prefetch_related("votes__member")
        )

    @admin.display(description=gettext_lazy("出席成员及表决"))
    def members(self, obj):
        return "；".join(
            f"{v.member.get_full_name() or v.member}：{v.get_decision_display()}"
            for v in obj.votes.all()
        )


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("paid_on", "amount", "method", "reference", "paid_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paid_by")


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(ScopedModelAdmin):
    """Claims are filed in the worker portal; here they are read, decided and exported."""

    list_display = (
        "id",
        "community",
        "claimant_name",
        "purpose",
        "payee",
        "amount",
        "payment_method",
        "state",
        "waiting_for",
        "submitted_at",
    )
    list_filter = (
        "state",
        "payment_method",
        "category",
        "needs_collective_review",
        ("community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("purpose", "payee", "claimant__username", "claimant__last_name")
    date_hierarchy = "expense_date"
    list_select_related = ("community", "claimant")
    inlines = (AttachmentInline, ApprovalInline, PaymentInline)
    change_form_template = "admin/finance/expenseclaim/change_form.html"
    change_list_template = "admin/finance/expenseclaim/change_list.html"
    actions = ("approve_selected",)
    exclude = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ExpenseClaim._meta.fields]

    def has_add_permission(self, request):
        return False  # filed in the worker portal, with the invoices

    def has_change_permission(self, request, obj=None):
        return False  # decided through the buttons and the inbox, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return not selectors.inbox_scope(request.user).empty

    @admin.display(description=gettext_lazy("报销人"), ordering="claimant__last_name")
    def claimant_name(self, obj):
        return obj.claimant.get_full_name() or obj.claimant.get_username()

    @admin.display(description=gettext_lazy("待办环节"))
    def waiting_for(self, obj):
        step = obj.next_step
        return ApprovalStep(step).label if step else "—"

    # --- decisions --------------------------------------------------------------------------

    def _decide(self, request, claim, step, decision, comment=""):
        try:
            if decision == Decision.APPROVE:
                services.claim_approve(user=request.user, claim=claim, step=step, comment=comment)
            else:
                services.claim_reject(user=request.user, claim=claim, step=step, reason=comment)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(getattr(exc, "messages", None) or [str(exc) or _("没有权限")])
            self.message_user(request, f"#{claim.pk}：{text}", messages.ERROR)
            return False
        return True

    @admin.action(
        description=gettext_lazy("同意所选报销单（本人审批环节）"), permissions=["approve"]
    )
    def approve_selected(self, request, queryset):
        done = 0
        for claim in queryset.select_related("community"):
            step = claim.next_step
            if step in (ApprovalStep.DIRECTOR, ApprovalStep.STREET):
                done += self._decide(request, claim, step, Decision.APPROVE)
        self.message_user(request, _("已审批 %(n)s 份报销单") % {"n": done})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("inbox/", wrap(self.inbox_view), name="finance_expenseclaim_inbox"),
            path(
                "<path:object_id>/decide/",
                wrap(self.decide_view),
                name="finance_expenseclaim_decide",
            ),
            path(
                "<path:object_id>/collective/",
                wrap(self.collective_view),
                name="finance_expenseclaim_collective",
            ),
            path(
                "<path:object_id>/attachment/<int:pk>/",
                wrap(self.attachment_view),
                name="finance_expenseclaim_attachment",
            ),
        ] + super().get_urls()

    def _visible(self, request, object_id) -> ExpenseClaim:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            extra["may_decide"] = services.may_decide(request.user, obj)
            extra["next_step"] = obj.next_step
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request, object_id):
        claim = self._visible(request, object_id)
        url = reverse("admin:finance_expenseclaim_change", args=[claim.pk])
        if request.method != "POST":
            return HttpResponseRedirect(url)
        decision = request.POST.get("decision")
        step = request.POST.get("step", "")
        if decision not in Decision.values or step not in ApprovalStep.values:
            raise Http404
        if self._decide(request, claim, step, decision, request.POST.get("comment", "")):
            self.message_user(request, _("已办理：%(claim)s") % {"claim": claim})
        return HttpResponseRedirect(
            request.POST.get("next") == "inbox" and self._inbox_url() or url
        )

    def _inbox_url(self):
        return reverse("admin:finance_expenseclaim_inbox")

    def collective_view(self, request, object_id):
        """FIN-3 collective review: who of the street's supervision committee was present
        and how each voted; recorded by a member who was present."""
        claim = self._visible(request, object_id)
        members = list(services.supervision_members(claim.community.street_id))
        if request.method == "POST":
            votes = {
                m.pk: request.POST.get(f"vote_{m.pk}")
                for m in members
                if request.POST.get(f"present_{m.pk}")
            }
            try:
                services.claim_review_collective(
                    user=request.user,
                    claim=claim,
                    votes=votes,
                    comment=request.POST.get("comment", ""),
                )
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", None) or [str(exc)]:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(request, _("已记录集体审议结果"))
                return HttpResponseRedirect(
                    reverse("admin:finance_expenseclaim_change", args=[claim.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("监督小组集体审议：%(claim)s") % {"claim": claim},
            "opts": self.opts,
            "claim": claim,
            "members": members,
            "decisions": Decision.choices,
        }
        return TemplateResponse(request, "admin/finance/expenseclaim/collective.html", context)

    def attachment_view(self, request, object_id, pk):
        claim = self._visible(request, object_id)
        attachment = claim.attachments.filter(pk=pk).first()
        if attachment is None:
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            filename=attachment.original_name,
        )

    def inbox_view(self, request):
        """Claims waiting for the user's step across every community they cover, with
        filters; a fixed number of queries whatever the number of claims."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._inbox_bulk(request)
        rows = selectors.approval_inbox(user=request.user)
        filters = InboxFilter(request.GET or None, queryset=rows, request=request)
        status, rows = 200, filters.qs
        if filters.is_bound and not filters.is_valid():
            status, rows = 400, rows.none()  # as in the portal: never all rows for a bad filter
        form = filters.form
        page = Paginator(rows, INBOX_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("待我审批的报销单"),
            "opts": self.opts,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "bulk_steps": (ApprovalStep.DIRECTOR, ApprovalStep.STREET),
        }
        return TemplateResponse(
            request, "admin/finance/expenseclaim/inbox.html", context, status=status
        )

    def _inbox_bulk(self, request):
        done = 0
        for value in request.POST.getlist("claim"):
            try:
                pk, step = value.split(":", 1)
                pk = int(pk)
            except ValueError:
                continue
            claim = self.get_queryset(request).filter(pk=pk).first()
            if claim is None or step not in (ApprovalStep.DIRECTOR, ApprovalStep.STREET):
                continue
            done += self._decide(request, claim, step, Decision.APPROVE)
        self.message_user(request, _("已审批 %(n)s 份报销单") % {"n": done})
        return HttpResponseRedirect(self._inbox_url())
