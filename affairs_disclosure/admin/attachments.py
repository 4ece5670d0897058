"""Admin of disclosure attachments: images and PDFs of drafts, written by the services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from affairs_disclosure import services
from affairs_disclosure.models import (
    DisclosureAttachment,
    ItemState,
)
from affairs_disclosure.services.common import perm
from core.admin import ScopedModelAdmin
from core.scoping import can


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
