from django import template
from django.utils.translation import gettext as _

register = template.Library()

LABELS = {"insert": "新建", "update": "修改", "delete": "删除"}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def event_label(label):
    return _(LABELS.get(label, label))


@register.simple_tag
def overdue_schedules():
    """Periodic tasks without a recent successful run (shown on the admin index)."""
    from core.admin import schedule_status

    return [row for row in schedule_status() if row["overdue"]]
