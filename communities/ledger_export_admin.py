"""导出Excel of the smaller ledgers' admin changelists (issue #4, Excel out): a button over the
list exports exactly what the changelist shows (its filters, search and date drill-down,
through the changelist itself, so the admin's scoped get_queryset applies), masked; users
holding reveal_personal get a second button (POST) for full values. Written and logged by
communities.ledger_exports_more. The import page's 导出 (ImportAdminMixin.export_view) goes
through the same view."""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from communities import ledger_services as services
from communities.ledger_exports import filters_text
from communities.ledger_exports_more import ledger_export_response
from core.scoping import can

# Changelist parameters that do not select rows (page, ordering, popups).
NOT_FILTERS = ("p", "o", "e", "_changelist_filters", "_to_field", "_popup")


class LedgerExportAdminMixin:
    ledger_export = None  # a communities.ledger_exports_more.LedgerExport
    import_base_template = "admin/communities/ledgers/ledger_export_change_list.html"

    def _xlsx_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_xlsx"

    def get_urls(self):
        return [
            path(
                "xlsx/", self.admin_site.admin_view(self.ledger_xlsx_view), name=self._xlsx_name()
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        url = reverse(f"admin:{self._xlsx_name()}")
        if request.GET:
            url += f"?{request.GET.urlencode()}"
        extra_context = {
            **(extra_context or {}),
            "ledger_export_url": url,
            "can_export_full": can(request.user, services.REVEAL_PERM),
            "export_url": None,  # one export button: this one
        }
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        return self.ledger_xlsx_view(request)

    def ledger_xlsx_view(self, request):
        """What the changelist shows (request.GET is its query string) as .xlsx: masked on
        a GET, full values on a POST with reveal=1 (403 without reveal_personal)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        reveal = request.method == "POST" and request.POST.get("reveal") == "1"
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, _("筛选条件有误，未导出"))
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        params = {k: v for k, v in request.GET.items() if k not in NOT_FILTERS}
        return ledger_export_response(
            request,
            ledger=self.ledger_export,
            queryset=changelist.get_queryset(request),
            filters=filters_text(params),
            reveal=reveal,
        )
