"""Filters of the approval inbox (issue #6: "approval inbox for each approver across the
communities they cover, with filters and bulk view"), shared by the portal page and the
API's inbox action. The community choices are only the communities the user covers as an
approver: another community's id is an invalid choice (the form fails, the view answers
400), never a way to see that community's claims."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.scoping import scoped
from finance.models import ApprovalStep, ClaimState
from finance.selectors import inbox_scope

# The state a claim is in while it waits for each step (FIN-3, cumulative).
STEP_STATES = {
    ApprovalStep.DIRECTOR: Q(state=ClaimState.SUBMITTED),
    ApprovalStep.STREET: Q(state=ClaimState.DIRECTOR_APPROVED, needs_street_approval=True),
    ApprovalStep.COLLECTIVE: Q(state=ClaimState.STREET_APPROVED, needs_collective_review=True),
}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def covered_communities(user):
    """Communities where the user decides a step (director: the community; street
    principal and supervision members: their street's communities). One query."""
    where = inbox_scope(user)
    qs = scoped(Community.objects.all(), user)
    if where.everything:
        return qs.order_by("name")
    cover = Q(pk__in=where.director) | Q(street_id__in=where.street | where.collective)
    return qs.filter(cover).exclude(pk__in=where.bookkeeping).order_by("name")


class InboxFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.none(), label=_("社区"), empty_label=_("全部社区")
    )
    step = django_filters.ChoiceFilter(
        choices=ApprovalStep.choices,
        method="filter_step",
        label=_("审批环节"),
        empty_label=_("全部环节"),
    )
    min_amount = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label=_("金额不低于（元）")
    )
    max_amount = django_filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label=_("金额不高于（元）")
    )
    date_from = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label=_("提交日期自"), widget=DATE
    )
    date_to = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__lte", label=_("提交日期至"), widget=DATE
    )
    q = django_filters.CharFilter(method="filter_search", label=_("收款方或用途"))

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = user or request.user
        self.filters["community"].queryset = covered_communities(user)
        self.form.fields["community"].queryset = self.filters["community"].queryset

    def filter_step(self, queryset, name, value):
        return queryset.filter(STEP_STATES[value]) if value else queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(payee__icontains=value) | Q(purpose__icontains=value))
