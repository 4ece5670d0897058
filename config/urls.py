from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz

admin.site.site_header = "街道社区管理系统"
admin.site.site_title = "社区管理"
admin.site.index_title = "街道工作台"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("portal/", include("core.urls")),
    path("portal/staffing/", include("staffing.urls")),
    path("portal/attendance/", include("attendance.urls")),
    path("portal/meetings/", include("meetings.urls")),
    path("portal/finance/", include("finance.urls")),
    path("portal/ledgers/", include("communities.ledger_urls")),
    path("portal/disclosure/", include("affairs_disclosure.portal_urls")),
    path("public/", include("affairs_disclosure.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
