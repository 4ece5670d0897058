from django.urls import path

from core import import_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("<int:pk>/", views.community, name="community"),
    path("<int:pk>/findings/", views.findings, name="findings"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/done/", views.inbox_done, name="inbox_done"),
    # Excel imports (core.import_views)
    path("imports/", import_views.job_list, name="import_list"),
    path("imports/jobs/<int:pk>/", import_views.job_view, name="import_job"),
    path("imports/jobs/<int:pk>/status/", import_views.job_status_view, name="import_status"),
    path("imports/jobs/<int:pk>/confirm/", import_views.job_confirm_view, name="import_confirm"),
    path("imports/jobs/<int:pk>/cancel/", import_views.job_cancel_view, name="import_cancel"),
    path("imports/jobs/<int:pk>/errors/", import_views.job_errors_view, name="import_errors"),
    path("imports/<slug:kind>/", import_views.upload_view, name="import_upload"),
    path("imports/<slug:kind>/template/", import_views.template_view, name="import_template"),
    path("imports/<slug:kind>/export/", import_views.export_view, name="import_export"),
]
