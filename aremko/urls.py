from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from communications.ops import views as ops

admin.site.site_header = _("Aremko Spa · CRM")
admin.site.site_title = _("Aremko CRM")
admin.site.index_title = _("Administración")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("c/", include("communications.urls")),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("healthz/sistema", ops.system, name="healthz-system"),
    path("metrics", ops.metrics, name="metrics"),
]
