from django.urls import path

from . import ministry_views as views

app_name = "ministry"
urlpatterns = [
    path("", views.home, name="home"),
    path("security-alerts/", views.security_alerts, name="security_alerts"),
    path("security-alerts/<int:pk>/unlock/", views.unlock, name="unlock"),
]
