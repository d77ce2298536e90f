from django.urls import path

from . import views

app_name = "households"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("register/", views.register, name="register"),
    path("mobile/", views.verify_mobile, name="verify_mobile"),
    path("mobile/new-code/", views.resend_code, name="resend_code"),
    path("profile/", views.profile, name="profile"),
    path("members/", views.members, name="members"),
    path("members/add/", views.member_add, name="member_add"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/remove/", views.member_delete, name="member_delete"),
    path("income/", views.income, name="income"),
    path("income/proofs/add/", views.proof_upload, name="proof_upload"),
    path("income/proofs/<int:pk>/download/", views.proof_download, name="proof_download"),
    path("income/proofs/<int:pk>/remove/", views.proof_delete, name="proof_delete"),
    path("workers/", views.workers, name="workers"),
    path("workers/add/", views.worker_add, name="worker_add"),
    path("workers/<int:pk>/", views.worker_edit, name="worker_edit"),
    path("workers/<int:pk>/end/", views.worker_end, name="worker_end"),
    path("history/", views.history, name="history"),
    path("officer/", views.officer_search, name="officer_search"),
    path("officer/<int:pk>/", views.officer_detail, name="officer_detail"),
    path("officer/employment-flags/", views.officer_flags, name="officer_flags"),
    path("officer/employment-flags/<int:pk>/close/", views.officer_flag_close, name="officer_flag_close"),
]
