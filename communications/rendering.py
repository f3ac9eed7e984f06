"""Render message copy from staff-editable templates, safely.

Templates use Django syntax on a sandboxed engine: no loaders (no include or
extends of files), no custom tag libraries, and a context restricted to plain
values. An unknown variable is an error, not a silent blank: a message reading
"Hola , tu reserva..." is worse than no message, and the reason is recorded.
"""

from functools import lru_cache

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import TextNode
from django.utils.translation import gettext

from . import links
from .defaults import DEFAULT_TEMPLATES
from .models import MessageTemplate

_MISSING = "\x00missing\x00"
_ENGINE = Engine(debug=False, loaders=[], libraries={}, string_if_invalid=_MISSING, autoescape=False)
# Values a template may use, besides what the trigger put in the message context.
CLIENT_FIELDS = ("nombre", "nombre_completo", "recomendaciones", "recomendacion")
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


def system_context(source: str = "") -> dict:
    """Values the system provides (never from client records); ``servicios`` only when the text uses it."""
    context = {"enlace_reservas": settings.BOOKING_URL}
    if "servicios" in source:
        from ventas.admin import clp
        from ventas.models import Servicio

        rows = Servicio.objects.filter(activo=True).order_by("tipo_servicio", "nombre")
        context["servicios"] = "\n".join(f"• {s.nombre}: {clp(s.precio_base)}" for s in rows)
    return context


def cached_template(message, templates: dict | None) -> tuple[str, str]:
    """``find_template`` for a message's kind, through a batch's cache (None: no cache)."""
    key = (message.kind, message.channel, message.context.get("variant", ""))
    if templates is None:
        return find_template(*key)
    if key not in templates:
        templates[key] = find_template(*key)
    return templates[key]


def trusted_links(message, templates: dict | None = None) -> tuple[set[str], tuple[str, ...]]:
    """Links staff or the system wrote: (exact URLs, fixed prefixes of URLs ending in a variable).

    Only these become links, tracked or not. A URL inside a client's name or any other
    value from a record ("https://evil.example/login Pérez") stays plain text: our click
    redirect must never send a reader to a site nobody at the spa chose (open redirect).
    """
    if message.custom_text:
        sources = [message.subject, message.custom_text]
    else:
        try:
            sources = list(cached_template(message, templates))
        except TemplateError:
            sources = []
    sources += [v for v in system_context().values() if isinstance(v, str)]
    exact, prefixes = set(), []
    for url in (u for text in sources for u in links.find_links(text)):
        cut = min((i for i in (url.find("{{"), url.find("{%")) if i >= 0), default=-1)
        if cut < 0:
            exact.add(url)
        elif url[:cut].count("/") >= 3:  # scheme://host/ is fixed: only the path varies
            prefixes.append(url[:cut])
    return exact, tuple(prefixes)


def client_context(cliente, values: dict | None = None) -> dict:
    """The client's names and insight values (``values``: already read for a batch)."""
    if values is None:
        from .insights.present import template_values

        values = template_values(cliente.pk)
    full = (cliente.nombre or "").strip()
    return {"nombre": full.split(" ")[0] if full else "", "nombre_completo": full, **values}


@lru_cache(maxsize=512)
def compiled(source: str):
    """(template, stray-brace excerpt) of a source text, compiled once per process.

    Both depend only on the text, so a batch of a thousand messages of one kind parses
    its template once. A source that does not compile raises (and is not cached).
    """
    from .template_checks import stray_delimiter

    template = _ENGINE.from_string(source)
    text_nodes = (n.s for n in template.nodelist.get_nodes_by_type(TextNode))
    return template, next(filter(None, map(stray_delimiter, text_nodes)), "")


def render_string(source: str, context: dict) -> str:
    """The rendered text; TemplateError (in Spanish, for staff) if it cannot be used as it is."""
    from .template_checks import spanish_syntax_error, variables_used

    safe = {k: v for k, v in context.items() if isinstance(v, ALLOWED_CONTEXT_TYPES)}
    try:
        template, excerpt = compiled(source)
        output = template.render(Context(safe, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateError(spanish_syntax_error(exc)) from exc
    except Exception as exc:  # a staff-edited template must never crash a sweep
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
    if _MISSING in output:
        missing = sorted(variables_used(source) - set(safe))
        raise TemplateError(
            gettext("Variable desconocida en la plantilla: %(names)s")
            % {"names": ", ".join("{{ " + name + " }}" for name in missing) or "?"}
        )
    if excerpt:
        # "Hola {{ nombre, te esperamos" would reach the client braces and all.
        raise TemplateError(gettext("Llaves sin cerrar en la plantilla cerca de «%(text)s»") % {"text": excerpt})
    return output.strip()


def render_message(message, cliente, renderer: "Renderer | None" = None) -> tuple[str, str]:
    """(subject, body) for a Message: its custom text if staff typed one, else its kind's template.

    A batch passes its ``Renderer``, which reads what its messages share once (templates,
    insight values, bookings); one message or a thousand, the copy is the same.
    """
    return (renderer or Renderer()).render(message, cliente)


class Renderer:
    """Renders messages as ``render_message`` does one, reading shared data once per batch.

    Without ``prefetch`` every value is read per message, exactly as for a single send.
    ``prefetch(messages)`` reads the clients' insight values and the bookings the messages
    talk about in a fixed number of queries; templates are read once per kind.
    """

    def __init__(self):
        self.templates: dict = {}
        self.client_values: dict[int, dict] = {}
        self.services: dict | None = None  # reserva id -> its services (None: none left), booking kinds
        self._system: dict[bool, dict] = {}

    def prefetch(self, messages) -> "Renderer":
        from .booking_context import BOOKING_KINDS, services_of
        from .insights.present import template_values_for

        messages = list(messages)
        missing = {m.cliente_id for m in messages} - set(self.client_values)
        if missing:
            self.client_values.update(template_values_for(missing))
        reservas = {m.reserva_id for m in messages if m.kind in BOOKING_KINDS and m.reserva_id}
        if reservas:
            found = services_of(reservas)
            self.services = {**(self.services or {}), **{r: found.get(r) for r in reservas}}
        return self

    def system_context(self, source: str) -> dict:
        key = "servicios" in source
        if key not in self._system:
            self._system[key] = system_context(source)
        return self._system[key]

    def render(self, message, cliente) -> tuple[str, str]:
        from .booking_context import booking_context

        if message.custom_text:
            subject, body = message.subject, message.custom_text
        else:
            subject, body = cached_template(message, self.templates)
        # A booking's day words and time are read now, from the booking as it is at send time.
        booking = booking_context(message, services=self.services)
        client = client_context(cliente, self.client_values.get(cliente.pk))
        context = {**self.system_context(body), **message.context, **booking, **client}
        return render_string(subject, context), render_string(body, context)
