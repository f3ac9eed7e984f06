"""Render message copy from staff-editable templates, safely.

Templates use Django syntax on a sandboxed engine: no loaders (no include or
extends of files), no custom tag libraries, and a context restricted to plain
values. An unknown variable is an error, not a silent blank: a message reading
"Hola , tu reserva..." is worse than no message, and the reason is recorded.
"""

from django.template import Context, Engine, TemplateSyntaxError

from .defaults import DEFAULT_TEMPLATES
from .models import MessageTemplate

_MISSING = "\x00missing\x00"
_ENGINE = Engine(debug=False, loaders=[], libraries={}, string_if_invalid=_MISSING, autoescape=False)
# Values a template may use, besides what the trigger put in the message context.
CLIENT_FIELDS = ("nombre", "nombre_completo")
ALLOWED_CONTEXT_TYPES = (str, int, float, bool, type(None))


class TemplateError(Exception):
    """The template could not be rendered; the message is blocked with reason template_error."""


def find_template(kind: str, channel: str, variant: str = "") -> tuple[str, str]:
    """(subject, body) from the admin-edited row if active, else the shipped Spanish default."""
    rows = {
        t.variant: t
        for t in MessageTemplate.objects.filter(kind=kind, channel=channel, active=True, variant__in={variant, ""})
    }
    row = rows.get(variant) or rows.get("")
    if row:
        return row.subject, row.body
    default = DEFAULT_TEMPLATES.get((kind, channel, variant)) or DEFAULT_TEMPLATES.get((kind, channel, ""))
    if default is None:
        raise TemplateError(f"no template for {kind}/{channel}")
    return str(default[0]), str(default[1])


def client_context(cliente) -> dict:
    full = (cliente.nombre or "").strip()
    return {"nombre": full.split(" ")[0] if full else "", "nombre_completo": full}


def render_string(source: str, context: dict) -> str:
    safe = {k: v for k, v in context.items() if isinstance(v, ALLOWED_CONTEXT_TYPES)}
    try:
        output = _ENGINE.from_string(source).render(Context(safe, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"syntax: {exc}") from exc
    except Exception as exc:  # a staff-edited template must never crash a sweep
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
    if _MISSING in output:
        raise TemplateError("unknown variable in template")
    return output.strip()


def render_message(message, cliente) -> tuple[str, str]:
    """(subject, body) for a Message: its custom text if staff typed one, else its kind's template."""
    from .booking_context import booking_context

    context = {**message.context, **booking_context(message), **client_context(cliente)}
    if message.custom_text:
        return render_string(message.subject, context), render_string(message.custom_text, context)
    subject, body = find_template(message.kind, message.channel, message.context.get("variant", ""))
    return render_string(subject, context), render_string(body, context)
