"""Per-object admin actions that call a service (street and community staff in the admin).

A model admin lists `object_actions`; each gets a page `<pk>/do/<name>/` that shows an
optional form (a reason, a recorder and minutes, ...) and on POST calls the service as the
user. The service checks the permission, the rule and the lock; its RuleViolation or
PermissionDenied is shown as an admin error message and nothing is changed. The row comes
from the admin's scoped queryset, so another community's (or street's) row is a 404.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=200
    )


class CommentForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("意见（可不填）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=200,
        required=False,
    )


@dataclass(frozen=True)
class ObjectAction:
    name: str
    label: str
    run: Callable  # (user, obj, cleaned_data) -> None; calls one service
    done: str  # the success message
    form: Callable | None = None  # (obj, data) -> Form
    available: Callable = lambda obj: True  # whether to offer the link


class ServiceActionsMixin:
    object_actions: tuple[ObjectAction, ...] = ()
    object_action_template = "admin/object_action.html"

    def _action_url_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_do"

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/do/<str:action>/",
                self.admin_site.admin_view(self.object_action_view),
                name=self._action_url_name(),
            )
        ]
        return own + super().get_urls()

    def object_action_view(self, request, object_id, action):
        spec = next((a for a in self.object_actions if a.name == action), None)
        obj = self.get_object(request, unquote(object_id))  # scoped queryset
        if spec is None or obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = spec.form(obj, data) if spec.form else None
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
        )
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                spec.run(request.user, obj, form.cleaned_data if form else {})
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{obj}：{message}", messages.ERROR)
            except PermissionDenied as exc:
                message = str(exc) or _("您没有办理此事项的权限")
                self.message_user(request, f"{obj}：{message}", messages.ERROR)
            else:
                self.message_user(request, f"{obj}：{spec.done}", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{spec.label}：{obj}",
            "opts": self.opts,
            "object": obj,
            "action": spec,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, self.object_action_template, context)

    def object_action_links(self, obj):
        if obj is None or obj.pk is None:
            return ""
        name = f"admin:{self._action_url_name()}"
        links = [
            (reverse(name, args=[obj.pk, a.name]), a.label)
            for a in self.object_actions
            if a.available(obj)
        ]
        return format_html_join(" | ", '<a href="{}">{}</a>', links) if links else "—"

    object_action_links.short_description = gettext_lazy("办理")
