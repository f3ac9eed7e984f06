""" "Enviar mensaje" on the client page: reception sends a transactional text through the gate.

Transactional means service information (a changed booking, a forgotten item), not an
offer: it ignores marketing caps and quiet hours but respects the client's channel
opt-out, like every transactional message (ARCHITECTURE §5). Each send is audited.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ventas.models import Cliente

from . import api, audit
from .models import Channel, Reason
from .rendering import TemplateError, client_context, render_string

PERMISSION = "communications.send_transactional"


class SendForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Canal"), choices=Channel.choices)
    subject = forms.CharField(label=gettext_lazy("Asunto (solo email)"), max_length=150, required=False)
    text = forms.CharField(
        label=gettext_lazy("Mensaje"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=600,
        help_text=gettext_lazy(
            "Solo información de servicio (reservas, avisos), nunca ofertas. Puedes usar {{ nombre }}."
        ),
    )

    def __init__(self, *args, cliente=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cliente = cliente

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("Un email necesita asunto."))
        if data.get("text"):
            try:
                rendered = render_string(data["text"], client_context(self.cliente))
            except TemplateError:
                rendered = "{{"
            # An unclosed "{{ nombre," renders as itself: the client would read the braces.
            if "{{" in rendered or "{%" in rendered:
                self.add_error("text", _("El texto tiene un error de plantilla; revisa las llaves {{ }}."))
        return data


def send_view(model_admin, request, object_id):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    cliente = get_object_or_404(Cliente, pk=object_id)
    form = SendForm(request.POST or None, cliente=cliente)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = api.send(
            cliente,
            "manual",
            channel=data["channel"],
            key=f"staff:{uuid.uuid4().hex}",
            custom_text=data["text"],
            subject=data["subject"],
            category="transactional",
        )
        audit.record(
            audit.AuditEvent.Action.MANUAL_SEND,
            actor=request.user.get_username(),
            obj=outcome.message,
            cliente_id=cliente.pk,
            after={"canal": data["channel"], "estado": outcome.status, "motivo": outcome.reason},
        )
        if outcome.decision.allowed:
            model_admin.message_user(request, _("Mensaje en camino a %(c)s.") % {"c": cliente}, messages.SUCCESS)
        else:
            reason = Reason(outcome.reason).label if outcome.reason else outcome.status
            model_admin.message_user(request, _("No se envió: %(r)s.") % {"r": reason}, messages.WARNING)
        return redirect(reverse("admin:ventas_cliente_change", args=[cliente.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Enviar mensaje a %(c)s") % {"c": cliente},
        "form": form,
        "cliente": cliente,
        "opts": Cliente._meta,
    }
    return TemplateResponse(request, "admin/communications/send_message.html", context)


def install(cliente_admin_class) -> None:
    """Add the send page to the client admin's URLs (communications extends ventas, never the reverse)."""
    base_get_urls = cliente_admin_class.get_urls

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/enviar-mensaje/",
                self.admin_site.admin_view(lambda request, object_id: send_view(self, request, object_id)),
                name="ventas_cliente_send_message",
            )
        ]
        return own + base_get_urls(self)

    cliente_admin_class.get_urls = get_urls
    cliente_admin_class.change_form_template = "admin/communications/cliente_change_form.html"
