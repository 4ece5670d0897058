from django.urls import path

from core import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("<int:pk>/", views.community, name="community"),
    path("<int:pk>/findings/", views.findings, name="findings"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/done/", views.inbox_done, name="inbox_done"),
]
