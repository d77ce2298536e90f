from django.urls import path

from . import complaint_views as views

app_name = "complaints"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/<str:reference>/", views.file_complaint, name="file"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("office/", views.office_list, name="office_list"),
    path("office/<int:pk>/", views.office_detail, name="office_detail"),
    path("ministry/", views.ministry_queue, name="ministry_queue"),
    path("ministry/<int:pk>/", views.ministry_detail, name="ministry_detail"),
    path("worker/<str:token>/", views.worker, name="worker"),
    path("worker/<str:token>/<int:pk>/resolve/", views.worker_resolve, name="worker_resolve"),
    path("worker/<str:token>/<int:pk>/escalate/", views.worker_escalate, name="worker_escalate"),
]
