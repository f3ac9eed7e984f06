"""Staff screens for data rights and the audit trail (Administración only, by permission).

- Export: an action on the client list that answers with the ZIP (permission
  ``communications.export_personal_data``).
- Erasure: an action with a confirmation page (``communications.erase_client``).
- The audit trail, the data-rights request log and the suppression list are read-only.
"""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit
from .privacy import export
from .privacy.erase import ErasureRefused, erase_client
from .privacy.models import DataRightsRequest, SuppressionEntry


class AppendOnlyAdmin(admin.ModelAdmin):
    """Evidence is read, never written, from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(audit.AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "action", "actor", "os_user", "object_type", "object_id", "cliente_id_ref"]
    list_filter = ["action", "actor", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor", "object_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in audit.AuditEvent._meta.fields]


@admin.register(DataRightsRequest)
class DataRightsRequestAdmin(AppendOnlyAdmin):
    list_display = ["received_at", "kind", "cliente_id_ref", "answered_at", "answered_by", "vencida"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in DataRightsRequest._meta.fields]

    @admin.display(boolean=True, description=gettext_lazy("fuera de plazo"))
    def vencida(self, obj):
        return obj.overdue


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "channel", "digest", "reason", "lifted_at"]
    list_filter = ["channel", "reason"]
    readonly_fields = [f.name for f in SuppressionEntry._meta.fields]


@admin.action(description=gettext_lazy("Exportar datos personales (ZIP)"), permissions=["export_personal_data"])
def export_personal_data(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Elige un solo cliente para exportar sus datos."), messages.WARNING)
        return None
    cliente = queryset.get()
    content = export.export_zip(cliente.pk)
    now = timezone.now()
    actor = request.user.get_username()
    DataRightsRequest.objects.create(
        cliente_id_ref=cliente.pk,
        kind=DataRightsRequest.Kind.EXPORT,
        received_at=now,
        answered_at=now,
        answered_by=actor,
    )
    audit.record(audit.AuditEvent.Action.EXPORT, actor=actor, cliente_id=cliente.pk, after={"bytes": len(content)})
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="cliente-{cliente.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@admin.action(description=gettext_lazy("Borrar datos personales (irreversible)"), permissions=["erase_client"])
def erase_personal_data(modeladmin, request, queryset):
    if request.POST.get("confirmar") != "BORRAR":
        return TemplateResponse(
            request,
            "admin/communications/erase_confirm.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("Borrar datos personales"),
                "clientes": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            },
        )
    done = refused = 0
    for cliente in queryset:
        try:
            erase_client(cliente.pk, actor=request.user.get_username())
            done += 1
        except ErasureRefused:
            refused += 1
    modeladmin.message_user(request, _("Clientes borrados: %(n)d.") % {"n": done}, messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request,
            _("%(n)d con un mensaje enviándose en este momento: inténtalo de nuevo en unos minutos.") % {"n": refused},
            messages.WARNING,
        )
    return None


def _has(perm):
    def check(self, request):
        return request.user.has_perm(f"communications.{perm}")

    return check


def install_client_actions(cliente_admin_class) -> None:
    """Give the client admin the two data-rights actions and their permission checks."""
    cliente_admin_class.actions = [*(cliente_admin_class.actions or []), export_personal_data, erase_personal_data]
    cliente_admin_class.has_export_personal_data_permission = _has("export_personal_data")
    cliente_admin_class.has_erase_client_permission = _has("erase_client")
