"""Ledger pages of the worker portal, under /portal/ledgers/ (namespace "ledgers")."""

from django.urls import path

from communities import ledger_export_views as export_views
from communities import ledger_group_views as group_views
from communities import ledger_list_export_views as list_exports
from communities import ledger_views as views
from communities import ledger_volunteer_views as volunteer_views

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
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/reveal/", views.household_reveal, name="household_reveal"),
    path("households/<int:pk>/residents/new/", views.resident_add, name="resident_add"),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    # special groups (特殊群体)
    path(
        "community/<int:community_id>/groups/",
        group_views.special_groups,
        name="special_groups",
    ),
    path(
        "residents/<int:pk>/groups/new/",
        group_views.special_group_add,
        name="special_group_add",
    ),
    path("groups/<int:pk>/edit/", group_views.special_group_edit, name="special_group_edit"),
    path("groups/<int:pk>/end/", group_views.special_group_end, name="special_group_end"),
    # special targets (特别对象): permitted roles only, every view logged
    path(
        "community/<int:community_id>/targets/",
        group_views.special_targets,
        name="special_targets",
    ),
    path(
        "residents/<int:pk>/targets/new/",
        group_views.special_target_add,
        name="special_target_add",
    ),
    path("targets/<int:pk>/", group_views.special_target, name="special_target"),
    path("targets/<int:pk>/edit/", group_views.special_target_edit, name="special_target_edit"),
    # volunteers and service hours (ORG-9)
    path(
        "community/<int:community_id>/volunteers/",
        volunteer_views.volunteers,
        name="volunteers",
    ),
    path(
        "community/<int:community_id>/volunteers/new/",
        volunteer_views.volunteer_add,
        name="volunteer_add",
    ),
    path("volunteers/<int:pk>/", volunteer_views.volunteer, name="volunteer"),
    path("volunteers/<int:pk>/edit/", volunteer_views.volunteer_edit, name="volunteer_edit"),
    path("volunteers/<int:pk>/reveal/", volunteer_views.volunteer_reveal, name="volunteer_reveal"),
    path(
        "volunteers/<int:pk>/services/new/",
        volunteer_views.volunteer_service_add,
        name="volunteer_service_add",
    ),
    # 导出Excel of the smaller lists (as filtered; masked unless revealed by a POST)
    path(
        "community/<int:community_id>/groups/export/",
        list_exports.special_groups_export,
        name="special_groups_export",
    ),
    path(
        "community/<int:community_id>/volunteers/export/",
        list_exports.volunteers_export,
        name="volunteers_export",
    ),
    path(
        "community/<int:community_id>/volunteers/services/export/",
        list_exports.volunteer_services_export,
        name="volunteer_services_export",
    ),
    path(
        "community/<int:community_id>/households/export/",
        list_exports.households_export,
        name="households_export",
    ),
    # 我的导出: background exports, the owner's only
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]
