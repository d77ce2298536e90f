from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from musaned.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("language/", account_views.language_switch, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("musaned.accounts.urls")),
    path("household/", include("households.urls")),
    path("ministry/visas/", include("visas.officer_urls")),
    path("ministry/", include("musaned.accounts.ministry_urls")),
    path("office/", include("recruitment.urls")),
    path("offices/", include("recruitment.directory_urls")),
    path("recruitment/", include("recruitment.request_urls")),
    path("recruitment/cases/", include("recruitment.delivery_urls")),
    path("complaints/", include("recruitment.complaint_urls")),
    path("worker/", include("recruitment.worker_urls")),
    path("notifications/", include("musaned.notifications.urls")),
    path("visas/", include("visas.urls")),
    path("payments/", include("musaned.billing.urls")),
    path("verify/", include("musaned.documents.urls")),
    path("health/", include("musaned.ops.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
]
