from django.urls import path

from . import request_views as views
from .flows import RecruitmentFlow
from .office_request_views import office_work_urls

app_name = "requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("start/<str:visa_reference>/", views.start, name="start"),
    *office_work_urls(RecruitmentFlow),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/offices/", views.offices, name="offices"),
    path("<str:reference>/offers/reject/", views.reject_all, name="reject_all"),
    path("<str:reference>/offers/<int:pk>/select/", views.select, name="select"),
    path("<str:reference>/contract.pdf", views.contract_pdf, name="contract_pdf"),
]
