from django.urls import path

from . import directory_views as views

app_name = "offices"
urlpatterns = [
    path("", views.directory, name="list"),
    path("<int:pk>/", views.profile, name="profile"),
    path("cvs/", views.cv_search, name="cv_search"),
    path("cvs/<int:pk>/", views.cv_detail, name="cv_detail"),
    path("cvs/<int:pk>/photo/", views.cv_photo, name="cv_photo"),
    path("ministry/", views.ministry_list, name="ministry_list"),
    path("ministry/register/", views.register, name="register"),
    path("ministry/<int:pk>/", views.ministry_detail, name="ministry_detail"),
    path("ministry/<int:pk>/suspend/", views.suspend, name="suspend"),
    path("ministry/<int:pk>/reinstate/", views.reinstate, name="reinstate"),
    path("ministry/<int:pk>/check/", views.ministry_check, name="ministry_check"),
]
