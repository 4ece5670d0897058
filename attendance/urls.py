"""Attendance pages of the worker portal, under /portal/attendance/ (namespace "attendance")."""

from django.urls import path

from attendance import views

app_name = "attendance"
urlpatterns = [
    path("", views.me, name="me"),
    path("sign/<str:action>/", views.sign, name="sign"),
    path("leave/new/", views.leave_new, name="leave_new"),
    path("leave/<int:pk>/", views.leave, name="leave"),
    path("leave/<int:pk>/decide/", views.leave_decide, name="leave_decide"),
    path("leave/<int:pk>/withdraw/", views.leave_withdraw, name="leave_withdraw"),
    path("leave/<int:pk>/attachment/", views.leave_attachment, name="leave_attachment"),
    path("inbox/", views.inbox, name="inbox"),
    path("case/<int:pk>/", views.case, name="case"),
    path("community/<int:community_id>/", views.community_home, name="community"),
    path("community/<int:community_id>/register/", views.register, name="register"),
    path(
        "community/<int:community_id>/correct/<int:worker_id>/<str:day>/",
        views.correct,
        name="correct",
    ),
    path("worker/<int:worker_id>/criticism/new/", views.criticism_new, name="criticism_new"),
    path(
        "community/<int:community_id>/sheet/<int:year>/<int:month>/",
        views.sheet,
        name="sheet",
    ),
    path(
        "community/<int:community_id>/sheet/<int:year>/<int:month>/generate/",
        views.sheet_generate,
        name="sheet_generate",
    ),
    path("sheet/<int:pk>/export/", views.sheet_export, name="sheet_export"),
    path("sheet/<int:pk>/<str:action>/", views.sheet_action, name="sheet_action"),
    path("community/<int:community_id>/stats/<int:year>/", views.stats, name="stats"),
]
