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
]
