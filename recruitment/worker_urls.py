app_name = "worker"
urlpatterns: list = []
