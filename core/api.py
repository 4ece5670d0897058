"""DRF glue shared by every app's API: scoped viewsets, permission class, error shape."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, permissions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import RuleViolation
from core.scoping import can, scoped

RULE_PREFIX = re.compile(r"^\[([A-Z]+-\d+)\]")


def _rule_in(messages):
    """Constraint and clean() messages start with their rule id ("[ORG-12] ..."): give the
    API error the same stable code a RuleViolation has."""
    for message in messages:
        match = RULE_PREFIX.match(str(message))
        if match:
            return match.group(1)
    return None


def exception_handler(exc, context):
    """Django ValidationErrors (raised by services and model clean()) become 400s with the
    field, the reason in the request's language and, for a rule, its stable rule id."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = dict(exc.message_dict)
            if "__all__" in detail:  # model-wide errors under DRF's usual key
                detail["non_field_errors"] = detail.pop("__all__")
        else:
            detail = {"non_field_errors": exc.messages}
        rule = getattr(exc, "rule_id", None) or _rule_in(exc.messages)
        if rule:
            detail = {**detail, "code": rule}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class ScopedModelPermissions(permissions.DjangoModelPermissions):
    """Model permission from the user's roles, checked per object against its community."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if view.kwargs.get(lookup) is not None:
            # Detail route: the scoped lookup answers 404 for rows outside the user's
            # communities; the action itself is checked on the object below.
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        model = type(obj)
        perms = self.get_required_permissions(request.method, model)
        return all(can(request.user, p, obj) for p in perms)


class ScopedViewSetMixin:
    """Rows outside the user's scope don't exist for them: 404, never 403."""

    permission_classes = [permissions.IsAuthenticated, ScopedModelPermissions]

    def get_queryset(self):
        return scoped(super().get_queryset(), self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


__all__ = ["RuleViolation", "ScopedModelViewSet", "ScopedReadOnlyViewSet", "exception_handler"]
