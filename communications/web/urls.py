"""Public URLs (mounted at /c/ under the "communications" namespace)."""

from django.urls import path

from . import tracking, unsubscribe, webhooks

urlpatterns = [
    path("baja/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("baja/<str:token>/un-clic/", unsubscribe.one_click, name="one_click"),
    path("preferencias/<str:token>/", unsubscribe.preferences, name="preferences"),
    path("o/<str:token>/", tracking.open_pixel, name="open"),
    path("l/<str:token>/", tracking.click, name="click"),
    path("webhooks/email/", webhooks.email_webhook, name="email_webhook"),
]
