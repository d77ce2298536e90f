from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("bills/", views.bills, name="bills"),
    path("bills/<str:number>/pay/", views.pay, name="pay"),
    path("bills/<str:number>/receipt/", views.receipt, name="receipt"),
]
