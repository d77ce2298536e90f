from django.urls import path

from . import views

app_name = "recruitment"
urlpatterns = [
    path("", views.office_home, name="office_home"),
    path("staff/add/", views.staff_add, name="staff_add"),
    path("staff/<int:pk>/remove/", views.staff_remove, name="staff_remove"),
    path("prices/", views.prices, name="prices"),
    path("prices/<int:pk>/", views.price_edit, name="price_edit"),
    path("prices/<int:pk>/remove/", views.price_remove, name="price_remove"),
    path("cvs/", views.cvs, name="cvs"),
    path("cvs/add/", views.cv_add, name="cv_add"),
    path("cvs/<int:pk>/", views.cv_edit, name="cv_edit"),
    path("cvs/<int:pk>/withdraw/", views.cv_withdraw, name="cv_withdraw"),
]
