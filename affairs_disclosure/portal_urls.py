"""Disclosure pages of the worker portal, under /portal/disclosure/ (namespace
"disclosure")."""

from django.urls import path

from affairs_disclosure import portal_generate
from affairs_disclosure import portal_views as views

app_name = "disclosure"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.item_new, name="item_new"),
    path("generate/", portal_generate.generate, name="generate"),
    path("status/", views.status, name="status"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("items/<int:pk>/<slug:name>/", views.item_action, name="item_action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
]
