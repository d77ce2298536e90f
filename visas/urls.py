from django.urls import path

from . import views

app_name = "visas"
urlpatterns = [
    path("", views.visa_list, name="list"),
    path("apply/", views.apply, name="apply"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/visa.pdf", views.document, name="document"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
]
