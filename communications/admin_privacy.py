"""Staff screens for data rights and the audit trail (Administración only, by permission).

- Export: an action on the client list that answers with the ZIP (permission
  ``communications.export_personal_data``).
- Erasure: an action with a confirmation page (``communications.erase_client``).
- Data-rights requests: registered when they arrive (who asked, by which channel, when;
  the client found by id, phone or email, or the requester written down when there is no
  record), listed overdue first with their legal deadline, and answered from the list
  through the same export and erasure paths (or, for rectification and opposition,
  marked answered once staff have made the change). Answered requests are read-only.
- The audit trail and the suppression list are read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit
from .privacy import export, requests
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


class DataRightsRequestForm(forms.ModelForm):
    """A request as it arrives: the client found by what the requester gave, or the requester written down."""

    cliente = forms.CharField(
        label=gettext_lazy("Cliente"),
        required=False,
        help_text=gettext_lazy("id, teléfono o email de su ficha. Déjalo vacío si no tiene ficha."),
    )

    class Meta:
        model = DataRightsRequest
        fields = ["kind", "channel", "received_at", "cliente", "requester", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].required = True
        if self.instance.cliente_id_ref:
            self.fields["cliente"].initial = str(self.instance.cliente_id_ref)

    def clean_received_at(self):
        received = self.cleaned_data["received_at"]
        if received and received > timezone.now():
            raise forms.ValidationError(_("La fecha de recepción no puede ser futura."))
        return received

    def clean(self):
        data = super().clean()
        try:
            cliente = requests.find_client(data.get("cliente", ""))
        except requests.AmbiguousClient as exc:
            self.add_error(
                "cliente",
                _("Hay varias fichas con ese dato (ids %(ids)s): escribe el id.")
                % {"ids": ", ".join(map(str, exc.ids))},
            )
            return data
        if data.get("cliente", "").strip() and cliente is None:
            self.add_error("cliente", _("No hay ninguna ficha con ese id, teléfono o email."))
            return data
        if cliente is None and not data.get("requester", "").strip():
            self.add_error("requester", _("Elige la ficha del cliente o escribe quién hace la solicitud."))
        self.instance.cliente_id_ref = cliente.pk if cliente else None
        return data


class RequestStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("estado")
    parameter_name = "estado"

    def lookups(self, request, model_admin):
        return [
            ("vencida", gettext_lazy("Fuera de plazo")),
            ("pendiente", gettext_lazy("Pendiente")),
            ("respondida", gettext_lazy("Respondida")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "vencida":
            return queryset.filter(is_overdue=True)
        if self.value() == "pendiente":
            return queryset.filter(answered_at__isnull=True)
        if self.value() == "respondida":
            return queryset.filter(answered_at__isnull=False)
        return queryset


@admin.register(DataRightsRequest)
class DataRightsRequestAdmin(admin.ModelAdmin):
    """Register incoming requests; answer them from the list; never edit an answered one, never delete."""

    form = DataRightsRequestForm
    list_display = [
        "received_at",
        "kind",
        "channel",
        "cliente",
        "requester",
        "vence",
        "vencida",
        "answered_at",
        "answered_by",
    ]
    list_filter = [RequestStateFilter, "kind", "channel"]
    actions = ["answer_with_export", "answer_with_erasure", "mark_answered"]

    def get_queryset(self, request):
        # Annotated before ordering: the ordering names the annotations.
        return requests.annotate_deadlines(self.model._default_manager.get_queryset()).order_by(
            *self.get_ordering(request)
        )

    def get_ordering(self, request):
        # The changelist orders by this (not by the queryset's order): overdue first.
        return requests.overdue_first_ordering()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.answered_at is not None:
            return [f.name for f in DataRightsRequest._meta.fields]
        return ["registered_by", "answered_at", "answered_by"] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is not None and obj.answered_at is not None:
            return [f.name for f in DataRightsRequest._meta.fields if f.name != "id"]
        fields = ["kind", "channel", "received_at", "cliente", "requester", "notes"]
        return fields + (["registered_by", "answered_at", "answered_by"] if obj is not None else [])

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and obj.answered_at is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Until answered, a request may be completed (the client found later, a note added).
        return super().has_change_permission(request, obj) and (obj is None or obj.answered_at is None)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_answer_permission(self, request):
        return request.user.has_perm("communications.change_datarightsrequest")

    def has_export_personal_data_permission(self, request):
        return request.user.has_perm("communications.export_personal_data")

    def has_erase_client_permission(self, request):
        return request.user.has_perm("communications.erase_client")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            requests.register(obj, actor=request.user.get_username())

    @admin.display(description=gettext_lazy("cliente"), ordering="cliente_id_ref")
    def cliente(self, obj):
        if not obj.cliente_id_ref:
            return "—"
        from django.urls import reverse

        return format_html(
            '<a href="{}">{}</a>', reverse("admin:ventas_cliente_change", args=[obj.cliente_id_ref]), obj.cliente_id_ref
        )

    @admin.display(description=gettext_lazy("vence"), ordering="due_at")
    def vence(self, obj):
        return timezone.localtime(obj.deadline).strftime("%d/%m/%Y")

    @admin.display(boolean=True, description=gettext_lazy("fuera de plazo"), ordering="is_overdue")
    def vencida(self, obj):
        return obj.overdue

    def _answerable(self, request, queryset, kind):
        """The selected open requests of ``kind`` with a client; a warning for each one left out."""
        chosen, skipped = [], 0
        for item in queryset:
            if item.kind == kind and item.answered_at is None and item.cliente_id_ref:
                chosen.append(item)
            else:
                skipped += 1
        if skipped:
            self.message_user(
                request,
                _(
                    "%(n)d solicitud(es) omitidas: ya respondidas, de otro tipo o sin ficha de cliente "
                    "(busca la ficha y edítala primero)."
                )
                % {"n": skipped},
                messages.WARNING,
            )
        return chosen

    @admin.action(
        description=gettext_lazy("Responder: exportar datos personales (ZIP)"), permissions=["export_personal_data"]
    )
    def answer_with_export(self, request, queryset):
        chosen = self._answerable(request, queryset, DataRightsRequest.Kind.EXPORT)
        if len(chosen) != 1:
            self.message_user(request, _("Elige una sola solicitud de acceso abierta para exportar."), messages.WARNING)
            return None
        return _export_response(request, chosen[0].cliente_id_ref, data_request=chosen[0])

    @admin.action(
        description=gettext_lazy("Responder: borrar datos personales (irreversible)"), permissions=["erase_client"]
    )
    def answer_with_erasure(self, request, queryset):
        chosen = self._answerable(request, queryset, DataRightsRequest.Kind.ERASURE)
        if not chosen:
            return None
        if request.POST.get("confirmar") != "BORRAR":
            from ventas.models import Cliente

            clientes = Cliente.objects.filter(pk__in=[r.cliente_id_ref for r in chosen])
            return _erase_confirmation(self, request, clientes, [r.pk for r in chosen], "answer_with_erasure")
        _erase_each(self, request, [(r.cliente_id_ref, r) for r in chosen])
        return None

    @admin.action(
        description=gettext_lazy("Marcar como respondida (rectificación u oposición)"), permissions=["answer"]
    )
    def mark_answered(self, request, queryset):
        actor = request.user.get_username()
        done = skipped = 0
        for item in queryset:
            if item.answered_at is None and item.kind in (
                DataRightsRequest.Kind.RECTIFICATION,
                DataRightsRequest.Kind.OPPOSITION,
            ):
                requests.answer_by_hand(item, actor=actor)
                done += 1
            else:
                skipped += 1
        self.message_user(request, _("Solicitudes marcadas como respondidas: %(n)d.") % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(n)d omitidas: ya respondidas, o de acceso o supresión (esas se responden exportando o borrando).")
                % {"n": skipped},
                messages.WARNING,
            )


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "channel", "digest", "reason", "lifted_at"]
    list_filter = ["channel", "reason"]
    readonly_fields = [f.name for f in SuppressionEntry._meta.fields]


def _export_response(request, cliente_id: int, *, data_request=None) -> HttpResponse:
    """The ZIP as a download; the request it answers (or a new one) marked answered, and audited."""
    content = export.export_zip(cliente_id)
    actor = request.user.get_username()
    answered = requests.answered(
        cliente_id, DataRightsRequest.Kind.EXPORT, actor=actor, now=timezone.now(), request=data_request
    )
    audit.record(
        audit.AuditEvent.Action.EXPORT, actor=actor, obj=answered, cliente_id=cliente_id, after={"bytes": len(content)}
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="cliente-{cliente_id}.zip"'
    response["Cache-Control"] = "no-store"
    return response


def _erase_each(modeladmin, request, pairs) -> None:
    """Erase each (cliente id, request or None); report done and refused (a message being sent)."""
    done = refused = 0
    for cliente_id, data_request in pairs:
        try:
            erase_client(cliente_id, actor=request.user.get_username(), request=data_request)
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


def _erase_confirmation(modeladmin, request, clientes, selected: list, action_name: str) -> TemplateResponse:
    """The page that asks staff to type BORRAR before an erasure (the same for both entry points)."""
    return TemplateResponse(
        request,
        "admin/communications/erase_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Borrar datos personales"),
            "clientes": clientes,
            "selected": selected,
            "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


@admin.action(description=gettext_lazy("Exportar datos personales (ZIP)"), permissions=["export_personal_data"])
def export_personal_data(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Elige un solo cliente para exportar sus datos."), messages.WARNING)
        return None
    return _export_response(request, queryset.get().pk)


@admin.action(description=gettext_lazy("Borrar datos personales (irreversible)"), permissions=["erase_client"])
def erase_personal_data(modeladmin, request, queryset):
    if request.POST.get("confirmar") != "BORRAR":
        return _erase_confirmation(modeladmin, request, queryset, [c.pk for c in queryset], "erase_personal_data")
    _erase_each(modeladmin, request, [(c.pk, None) for c in queryset])
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
