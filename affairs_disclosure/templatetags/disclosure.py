"""Template helpers of affairs disclosure: the allow-list sanitiser as a filter (public
pages sanitise again when rendering, so a row written around the services is still safe)
and period labels."""

from django import template
from django.utils.translation import gettext as _

from affairs_disclosure.sanitize import safe_html

register = template.Library()


@register.filter
def sanitized(value):
    return safe_html(value or "")


@register.simple_tag
def quarter_label(year, quarter):
    return _("%(year)s 年第 %(q)s 季度") % {"year": year, "q": quarter}
