"""The site's URLs with the officers' visa-review application mounted where the project mounts it."""

from django.urls import include, path

from musaned.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("ministry/visas/", include("visas.officer_urls")), *site_urlpatterns]
