from django.urls import path

from affairs_disclosure import views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("c/<int:pk>/", views.community, name="community"),
]
