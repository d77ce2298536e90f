app_name = "ministry"
urlpatterns: list = []
