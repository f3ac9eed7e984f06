"""Spanish words for the codes staff would otherwise read on admin screens.

Rows keep short English codes (event types, our status vocabulary, context keys)
because code and queries use them; people read these labels instead. Structured
values (a message's context, a provider payload) are shown as "clave: valor"
lines, never as JSON.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

EVENT_TYPE_LABELS = {
    "status": _("Estado de entrega"),
    "reply": _("Respuesta SMS"),
    "bounce": _("Rebote de email"),
    "complaint": _("Queja de spam"),
    "open": _("Apertura"),
    "click": _("Clic"),
    "poll_error": _("Error al consultar al proveedor"),
}

# What we made of an event (our vocabulary next to the provider's raw word).
NORMALIZED_LABELS = {
    "sent": _("Enviado (en el proveedor)"),
    "delivered": _("Entregado"),
    "failed": _("Fallido"),
    "unknown": _("Estado desconocido"),
    "replied": _("Respuesta"),
    "unmatched": _("Sin mensaje asociado"),
    "opt_out": _("Pidió la baja"),
    "opt_in": _("Pidió el alta"),
    "hard": _("Rebote permanente"),
    "soft": _("Rebote temporal"),
    "complaint": _("Queja de spam"),
    "error": _("Error"),
}

# Keys of a message's context and of provider payloads, as staff would name them.
KEY_LABELS = {
    "fecha": _("fecha"),
    "hora": _("hora"),
    "servicio": _("servicio"),
    "variant": _("variante de plantilla"),
    "novedad": _("novedad"),
    "batch": _("lote"),
    "item": _("datos del proveedor"),
    "outcome": _("resultado"),
    "notes": _("notas"),
    "staff": _("registrado por"),
    "message": _("mensaje"),
    "delivery_event": _("evento de entrega"),
    "url": _("enlace"),
    "target": _("enlace"),
    "user_agent": _("navegador"),
    "text": _("texto"),
    "provider": _("proveedor"),
    "keyword": _("palabra clave"),
}


def event_type_label(code: str) -> str:
    return str(EVENT_TYPE_LABELS.get(code, code or "—"))


def normalized_label(code: str) -> str:
    return str(NORMALIZED_LABELS.get(code, code or "—"))


def key_label(key: str) -> str:
    return str(KEY_LABELS.get(key, str(key).replace("_", " ")))


def flat_lines(value, prefix="") -> list[tuple[str, str]]:
    """(label, text) lines for a JSON value: nested dicts are walked, lists joined with commas."""
    if isinstance(value, dict):
        lines = []
        for key, inner in value.items():
            label = f"{prefix} · {key_label(key)}" if prefix else key_label(key)
            lines += flat_lines(inner, label)
        return lines
    if isinstance(value, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in value):
            return [(prefix, ", ".join(_scalar(v) for v in value) or "—")]
        lines = []
        for i, inner in enumerate(value, 1):
            lines += flat_lines(inner, f"{prefix} {i}".strip())
        return lines
    return [(prefix, _scalar(value))]


def _scalar(value) -> str:
    if value is True:
        return str(_("sí"))
    if value is False:
        return str(_("no"))
    if value is None or value == "":
        return "—"
    return str(value)


def key_value_html(value, *, values=None):
    """A small table of "clave: valor" lines; ``values`` maps a (label) to a nicer text."""
    lines = flat_lines(value or {})
    if not lines:
        return "—"
    values = values or {}
    return format_html(
        '<table class="kv-lines">{}</table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, values.get(k, v)) for k, v in lines)),
    )
