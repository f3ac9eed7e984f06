from django.urls import include, path

app_name = "communications"

urlpatterns: list = [
    path("", include("communications.web.urls")),
]
