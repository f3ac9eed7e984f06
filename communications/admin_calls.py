"""The VIP call list in the admin: inactive VIPs, their last recent call, and a form to register a call.

Listing is the proxy model ventas.InactiveVipCall over Cliente (no table of its own);
opening a row shows the call form instead of the client's edit form, because
staff on this list call clients, they do not edit them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ventas.admin import PhoneSearchMixin, SegmentFilter, clp
from ventas.models import CampaignInteraction, InactiveVipCall
from ventas.segments import SEGMENT_LABELS

from . import calls


class VipSegmentFilter(SegmentFilter):
    def lookups(self, request, model_admin):
        return [(s, SEGMENT_LABELS[s]) for s in calls.VIP_SEGMENTS]


class CallForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("resultado"), choices=calls.OUTCOME_CHOICES, widget=forms.RadioSelect
    )
    notes = forms.CharField(label=gettext_lazy("notas"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(InactiveVipCall)
class InactiveVipCallAdmin(PhoneSearchMixin, admin.ModelAdmin):
    # Compact: at 1366 px "Registrar llamada" must stay on screen; the name opens the call form too.
    # (Everyone here is a VIP: the segment is a filter, not a column.)
    # The risk column carries the value (CLP paid in 365 days) and, unscored, the total spend.
    list_display = ["cliente", "contacto", "riesgo", "ultima_visita", "ultima_llamada", "llamar"]
    list_display_links = None
    search_fields = ["nombre", "telefono", "email"]
    list_filter = [VipSegmentFilter]
    list_per_page = 50

    def get_ordering(self, request):
        # Not called recently first, then the most value at risk (churn probability × value).
        # A method, not ``ordering``: these are annotations, which the admin's system check cannot see.
        return list(calls.CALL_ORDER)

    def get_queryset(self, request):
        return calls.inactive_vips(timezone.now(), model=InactiveVipCall)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("cliente"), ordering="nombre")
    def cliente(self, obj):
        url = reverse("admin:ventas_inactivevipcall_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.nombre)

    @admin.display(description=gettext_lazy("teléfono"), ordering="telefono")
    def contacto(self, obj):
        # Flags first: a receptionist must not dial a client who asked not to be contacted.
        flags = []
        if not obj.phone_usable:
            flags.append(_("Sin teléfono válido") if obj.telefono else _("Sin teléfono"))
        if obj.do_not_call:
            flags.append(calls.do_not_call_label(obj.do_not_call))
        number = obj.telefono or "—"
        if not flags:
            return number
        return format_html(
            '{}<br><strong class="call-flag" style="color:#ba2121">{}</strong>', number, " · ".join(flags)
        )

    # Highest risk × value first, unscored last (reversed: unscored first, as the lowest).
    @admin.display(description=gettext_lazy("riesgo"), ordering=F("risk_value").desc(nulls_last=True))
    def riesgo(self, obj):
        # Band and probability, the value it puts at risk, and the stored reasons (Spanish).
        label = calls.risk_label(obj.risk_band, obj.churn_probability)
        if not label:
            return format_html(
                "{}<br><small>{}</small>", _("Sin perfil"), _("gasto total %(v)s") % {"v": clp(obj.total_spend)}
            )
        reasons = "; ".join(obj.risk_reasons or [])
        return format_html(
            '<strong class="risk risk-{}">{}</strong><br><small>{}</small>{}',
            obj.risk_band,
            label,
            _("valor %(v)s (365 días)") % {"v": clp(obj.value_clp or 0)},
            format_html('<br><small class="risk-reasons">{}</small>', reasons) if reasons else "",
        )

    @admin.display(description=gettext_lazy("segmento"), ordering="segment")
    def segmento(self, obj):
        return obj.segment_label

    @admin.display(description=gettext_lazy("gasto"), ordering="total_spend")
    def gasto(self, obj):
        return clp(obj.total_spend)

    @admin.display(description=gettext_lazy("última visita"), ordering="last_paid_visit")
    def ultima_visita(self, obj):
        return date_format(timezone.localtime(obj.last_paid_visit), "j M Y") if obj.last_paid_visit else "—"

    @admin.display(description=gettext_lazy("llamada reciente"), ordering="last_call_at")
    def ultima_llamada(self, obj):
        if obj.last_call_at is None:
            return "—"
        when = date_format(timezone.localtime(obj.last_call_at), "j M Y")
        return f"{calls.outcome_label(obj.last_call_outcome)} ({when})"

    @admin.display(description=gettext_lazy("llamada"))
    def llamar(self, obj):
        url = reverse("admin:ventas_inactivevipcall_change", args=[obj.pk])
        return format_html('<a class="register-call" href="{}">{}</a>', url, _("Registrar llamada"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The call form: GET shows the client and recent calls; POST records a call."""
        cliente = self.get_object(request, unquote(object_id))
        if cliente is None:
            # No longer an inactive VIP (booked since, or unknown id).
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, cliente):
            raise PermissionDenied
        form = CallForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not self.has_change_permission(request, cliente):
                raise PermissionDenied
            if form.is_valid():
                calls.register_call(cliente, form.cleaned_data["outcome"], form.cleaned_data["notes"], request.user)
                self.message_user(
                    request,
                    _("Llamada a %(c)s registrada: %(o)s.")
                    % {"c": cliente, "o": calls.outcome_label(form.cleaned_data["outcome"])},
                    messages.SUCCESS,
                )
                return redirect("admin:ventas_inactivevipcall_changelist")
        history = [
            {
                "when": i.timestamp,
                "outcome": calls.outcome_label(i.details.get("outcome")),
                "notes": i.details.get("notes", ""),
                "staff": i.details.get("staff", ""),
            }
            for i in CampaignInteraction.objects.filter(
                cliente=cliente, interaction_type=CampaignInteraction.Type.CALL
            ).order_by("-timestamp")[:10]
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": cliente,
            "title": _("Registrar llamada a %(c)s") % {"c": cliente},
            "cliente": cliente,
            "form": form,
            "history": history,
            "can_register": self.has_change_permission(request, cliente),
            "do_not_call": calls.do_not_call_label(cliente.do_not_call),
            "phone_usable": cliente.phone_usable,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/communications/call_list/call_form.html", context)
