"""Residents' pages under /public/ (namespace "public"): no login. Items and attachments are
reached through their community's URL only."""

from django.urls import path

from affairs_disclosure import views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("c/<int:pk>/", views.community, name="community"),
    path("c/<int:pk>/history/<int:year>/", views.history, name="history"),
    path("c/<int:pk>/poster/", views.poster, name="poster"),
    path("c/<int:community_pk>/i/<int:pk>/", views.item, name="item"),
    path("c/<int:community_pk>/a/<int:pk>/", views.attachment, name="attachment"),
]
