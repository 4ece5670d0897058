"""Meetings pages of the worker portal, under /portal/meetings/ (namespace "meetings")."""

from django.urls import path

from meetings import plan_views, views

app_name = "meetings"
urlpatterns = [
    path("community/<int:community_id>/", views.community, name="community"),
    path("community/<int:community_id>/sittings/new/", views.convene, name="convene"),
    path("community/<int:community_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("community/<int:community_id>/events/", views.events, name="events"),
    path("community/<int:community_id>/plans/", plan_views.plan_list, name="plans"),
    path("sittings/<int:pk>/", views.sitting, name="sitting"),
    path("sittings/<int:pk>/close/", views.sitting_close, name="sitting_close"),
    path("sittings/<int:pk>/motions/new/", views.motion_new, name="motion_new"),
    path("sittings/<int:pk>/<str:action>/", views.sitting_action, name="sitting_action"),
    path("seats/<int:pk>/<str:action>/", views.seat_action, name="seat_action"),
    path("motions/<int:pk>/vote/", views.vote, name="vote"),
    path("motions/<int:pk>/<str:action>/", views.motion_action, name="motion_action"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
]
