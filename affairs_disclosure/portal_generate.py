"""Generated drafts in the worker portal (/portal/disclosure/generate/): from the finance
chapter's stamped quarterly statement (FIN-7), from the ledgers' 低保 / relief lists
(DISC-1(4)(6)), from a closed sitting of the residents' representative assembly
(DISC-1(3)) and from the fees of paid services in a quarter (FIN-8). A community outside the
user's scope is a 404. The admin's generate view uses the same forms and `generate_run`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from affairs_disclosure import selectors, services
from affairs_disclosure.forms import (
    AssemblyGenerateForm,
    FinanceGenerateForm,
    ListGenerateForm,
    PaidFeesGenerateForm,
)
from affairs_disclosure.portal_views import _communities_where
from affairs_disclosure.services.common import perm


@login_required
@require_http_methods(["GET", "POST"])
def generate(request):
    """Drafts from the finance chapter's stamped statement (FIN-7), from the ledgers'
    低保 / relief lists (DISC-1(4)(6)), from a closed sitting's results (DISC-1(3)) or from
    the fees of paid services (FIN-8)."""
    user = request.user
    communities = _communities_where(user, perm("add"))
    if not communities.exists():
        raise PermissionDenied
    forms_ = generate_forms(user, communities)
    if request.method == "POST":
        which = request.POST.get("which")
        which = which if which in forms_ else "list"
        form = forms_[which] = generate_forms(user, communities, request.POST)[which]
        if form.is_valid():
            if not form.claim_token(user):
                messages.info(request, _("该表单已经提交过，未重复生成。"))
                return redirect("disclosure:home")
            try:
                item = generate_run(user, which, form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                form.release_token(user)
                if isinstance(exc, ValidationError):
                    form.add_service_errors(exc)
                else:
                    form.add_error(None, str(exc))
            else:
                messages.success(request, _("已生成草稿，请核对后提请核准。"))
                return redirect("disclosure:item", pk=item.pk)
    context = {
        "finance_form": forms_["finance"],
        "list_form": forms_["list"],
        "assembly_form": forms_["assembly"],
        "paid_fees_form": forms_["paid_fees"],
    }
    return render(request, "portal/disclosure/generate.html", context)


def generate_forms(user, communities, data=None) -> dict:
    """The four generation forms (bound to `data` if given), their choices in scope."""
    statements = selectors.statements_for_generation(user=user).filter(community__in=communities)
    sittings = selectors.sittings_for_generation(user=user).filter(community__in=communities)
    return {
        "finance": FinanceGenerateForm(data, statements=statements, prefix="fin"),
        "list": ListGenerateForm(data, communities=communities, prefix="list"),
        "assembly": AssemblyGenerateForm(data, sittings=sittings, prefix="asm"),
        "paid_fees": PaidFeesGenerateForm(data, communities=communities, prefix="fees"),
    }


def generate_run(user, which: str, data: dict):
    """Call the generating service of one form (admin and portal)."""
    if which == "finance":
        return services.item_generate_finance(user=user, statement=data["statement"])
    if which == "assembly":
        return services.item_generate_assembly(user=user, sitting=data["sitting"])
    if which == "paid_fees":
        return services.item_generate_paid_fees(
            user=user, community=data["community"], year=data["year"], quarter=data["quarter"]
        )
    return services.item_generate_list(
        user=user,
        community=data["community"],
        category=data["category"],
        year=data["year"],
        quarter=data["quarter"],
    )
