from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("security/", views.security, name="security"),
    path("activity/", views.activity, name="activity"),
    path("activity/sign-out-others/", views.sign_out_others, name="sign_out_others"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/grant/", views.delegation_grant, name="delegation_grant"),
    path("delegations/<int:pk>/revoke/", views.delegation_revoke, name="delegation_revoke"),
    path("delegations/<int:pk>/act/", views.act_as, name="act_as"),
    path("delegations/act-as-self/", views.act_as_self, name="act_as_self"),
    path("compromised/", views.report_compromised, name="report_compromised"),
    path("compromised/done/", views.compromised_done, name="compromised_done"),
]
