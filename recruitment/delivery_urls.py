from django.urls import path

from . import delivery_views as views

app_name = "delivery"
urlpatterns = [
    path("<str:reference>/", views.case, name="case"),
    path("<str:reference>/bill/", views.rebill, name="rebill"),
    path("<str:reference>/steps/report/", views.milestone_report, name="milestone_report"),
    path("<str:reference>/steps/<int:pk>/document/", views.milestone_document, name="milestone_document"),
    path("<str:reference>/extend/", views.extend, name="extend"),
    path("<str:reference>/arrival/", views.arrival, name="arrival"),
    path("<str:reference>/handover/", views.handover, name="handover"),
    path("<str:reference>/return/", views.return_worker, name="return"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
    path("<str:reference>/office-cancel/", views.office_cancel, name="office_cancel"),
    path("<str:reference>/rate/", views.rate, name="rate"),
]
