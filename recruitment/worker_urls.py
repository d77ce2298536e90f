from django.urls import path

from . import worker_views as views

app_name = "worker"
urlpatterns = [
    path("contract/<str:token>/", views.contract, name="contract"),
    path("contract/<str:token>/accept/", views.accept, name="accept"),
    path("contract/<str:token>/decline/", views.decline, name="decline"),
    path("contract/<str:token>/contract.pdf", views.contract_pdf, name="contract_pdf"),
]
