from django.urls import path

from . import views

app_name = "recruitment"
urlpatterns = [
    path("", views.office_home, name="office_home"),
    path("staff/add/", views.staff_add, name="staff_add"),
    path("staff/<int:pk>/remove/", views.staff_remove, name="staff_remove"),
]
