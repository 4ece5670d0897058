"""Staffing pages of the worker portal, under /portal/staffing/ (namespace "staffing")."""

from django.urls import path

from staffing import views

app_name = "staffing"
urlpatterns = [
    path("table/", views.staffing_table_page, name="table"),
    path("community/<int:community_id>/", views.workers, name="workers"),
    path("community/<int:community_id>/study/new/", views.study_add, name="study_add"),
    path("workers/<int:pk>/", views.worker, name="worker"),
    path("workers/<int:pk>/training/new/", views.training_add, name="training_add"),
    path("workers/<int:pk>/checkup/new/", views.checkup_add, name="checkup_add"),
    path("community/<int:community_id>/payrolls/", views.payrolls, name="payrolls"),
    path(
        "community/<int:community_id>/payrolls/generate/",
        views.payroll_generate,
        name="payroll_generate",
    ),
    path("payrolls/<int:pk>/", views.payroll, name="payroll"),
    path("payrolls/<int:pk>/submit/", views.payroll_submit, name="payroll_submit"),
    path("payrolls/<int:pk>/export/", views.payroll_export, name="payroll_export"),
]
