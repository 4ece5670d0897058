"""Ledger pages of the worker portal, under /portal/ledgers/ (namespace "ledgers")."""

from django.urls import path

from communities import ledger_views as views

app_name = "ledgers"
urlpatterns = [
    path("community/<int:community_id>/residents/", views.residents, name="residents"),
    path(
        "community/<int:community_id>/residents/export/",
        views.residents_export,
        name="residents_export",
    ),
    path("community/<int:community_id>/households/", views.households, name="households"),
    path(
        "community/<int:community_id>/households/new/",
        views.household_add,
        name="household_add",
    ),
    path("community/<int:community_id>/coverage/", views.coverage, name="coverage"),
    path("community/<int:community_id>/volunteers/", views.volunteers, name="volunteers"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/reveal/", views.household_reveal, name="household_reveal"),
    path("households/<int:pk>/residents/new/", views.resident_add, name="resident_add"),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
]
