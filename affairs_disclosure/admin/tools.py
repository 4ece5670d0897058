"""Extra views of the disclosure item admin: the street table (DISC-2) and the generation
of drafts from the quarterly statement (FIN-7), the ledgers' lists (DISC-1(4)(6)), the
assembly's results (DISC-1(3)) and paid services' fees (FIN-8)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules, selectors
from affairs_disclosure.admin.common import show_errors
from affairs_disclosure.portal_generate import generate_forms, generate_run
from affairs_disclosure.portal_views import _communities_where, quarter_options
from affairs_disclosure.services.common import perm


class DisclosureToolsMixin:
    """Views added to DisclosureItemAdmin.get_urls (admin_view-wrapped there)."""

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
        """Drafts from a stamped quarterly statement (FIN-7), from the ledgers' lists or from
        a closed sitting's results (DISC-1(3)) or paid services' fees (FIN-8), through the
        portal's forms and services."""
        user = request.user
        communities = _communities_where(user, perm("add"))
        if not communities.exists():
            raise PermissionDenied
        forms_ = generate_forms(user, communities)
        if request.method == "POST":
            which = request.POST.get("which")
            which = which if which in forms_ else "list"
            form = forms_[which] = generate_forms(user, communities, request.POST)[which]
            if form.is_valid() and form.claim_token(user):
                try:
                    item = generate_run(user, which, form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    form.release_token(user)
                    show_errors(self, request, exc)
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
            "assembly_form": forms_["assembly"],
            "paid_fees_form": forms_["paid_fees"],
        }
        return TemplateResponse(request, "admin/affairs_disclosure/generate.html", context)
