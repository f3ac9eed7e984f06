"""Templates that cannot silently break: what each kind provides, and a validator that says it in Spanish.

One edit with a typo (``{{ fecah }}``) or a broken brace (``{{ nombre,``) used to be
saved, and then every message of that kind was blocked at send time, reminders
included, or sent to clients with the braces in it. So every kind declares the
variables its messages carry; the template admin, the campaign form, the
``check_templates`` command and a system check all ask ``template_problems`` the
same question, and Django's English errors are translated once, here.
"""

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import FirstOfNode, ForNode, IfNode, WithNode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rendering import _ENGINE, CLIENT_FIELDS


@dataclass(frozen=True)
class TemplateVariable:
    name: str
    label: str
    sample: str  # plausible value of typical length, for previews and segment counts


CLIENT_VARIABLES = (
    TemplateVariable("nombre", gettext_lazy("primer nombre del cliente"), "Francisca"),
    TemplateVariable("nombre_completo", gettext_lazy("nombre completo del cliente"), "Francisca Muñoz Soto"),
)
VISIT_VARIABLES = (
    TemplateVariable("dia", gettext_lazy("«hoy», «mañana» o «el», según cuándo sale el mensaje"), "mañana"),
    TemplateVariable(
        "fecha", gettext_lazy("día de la visita (p. ej. «viernes 15 de enero»)"), "miércoles 30 de septiembre"
    ),
    TemplateVariable("hora", gettext_lazy("hora de inicio (p. ej. «18:30»)"), "18:30"),
    TemplateVariable("servicio", gettext_lazy("servicio reservado"), "Tina caliente con hidromasaje"),
)
# What each kind's messages carry in their context besides the client's name (set by
# its trigger, or by staff for vip_early_access). A kind not listed provides only the name.
# The system adds these to every message (rendering.system_context); never client data.
SYSTEM_VARIABLES = (
    TemplateVariable(
        "enlace_reservas", gettext_lazy("enlace para reservar en línea"), "https://www.aremko.cl/reservas"
    ),
    TemplateVariable(
        "servicios", gettext_lazy("servicios a la venta con su precio, uno por línea"), "• Tina caliente: $45.000"
    ),
)
# Personal recommendations (insights); SMS templates use them only inside {% if %}.
RECOMMENDATION_VARIABLES = (
    TemplateVariable(
        "recomendaciones",
        gettext_lazy("hasta tres servicios sugeridos para el cliente («A, B y C»)"),
        "Tina caliente, Masaje descontracturante y Cabaña Arrayán",
    ),
    TemplateVariable("recomendacion", gettext_lazy("el servicio más sugerido para el cliente"), "Tina caliente"),
)
_WITH_RECOMMENDATIONS = (
    "vip_newsletter",
    "welcome_1",
    "welcome_7",
    "welcome_30",
    "reactivation_email",
    "reactivation_sms",
    "loyalty_rewards",
    "campaign",
)
PROVIDED = {
    **{kind: RECOMMENDATION_VARIABLES for kind in _WITH_RECOMMENDATIONS},
    "booking_changed": VISIT_VARIABLES,
    "booking_confirmation": VISIT_VARIABLES,
    "appointment_reminder": VISIT_VARIABLES,
    "satisfaction_followup": VISIT_VARIABLES,
    "vip_early_access": (
        TemplateVariable(
            "novedad", gettext_lazy("la novedad que se anuncia (la escribe el equipo al enviar)"), "nuevas cabañas"
        ),
    ),
}
assert all(v.name in CLIENT_FIELDS for v in CLIENT_VARIABLES)

# Tags a message may use; the rest (include, load, url, csrf_token, ...) mean nothing in an SMS or email.
ALLOWED_TAGS = frozenset(
    {"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof", "comment", "endcomment"}
)
_CONTEXT_BUILTINS = frozenset({"True", "False", "None"})
_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")
_SINGLE_BRACE_VARIABLE = re.compile(r"(?<!\{)\{\s*([A-Za-z_][\w.]*)\s*\}(?!\})")


def variables_for(kind: str) -> tuple[TemplateVariable, ...]:
    return CLIENT_VARIABLES + SYSTEM_VARIABLES + PROVIDED.get(kind, ())


def sample_context(kind: str) -> dict[str, str]:
    return {v.name: v.sample for v in variables_for(kind)}


def variables_hint(kind: str) -> str:
    return ", ".join("{{ " + v.name + " }}" for v in variables_for(kind))


# --- Django's errors, in Spanish ----------------------------------------------------

_SYNTAX_MESSAGES = [
    (
        re.compile(r"Unclosed tag on line (\d+): '(\w+)'. Looking for one of: ([\w, ]+)"),
        lambda m: (
            _("Falta cerrar la etiqueta {%% %(tag)s %%} de la línea %(line)s: agrega {%% %(end)s %%}.")
            % {"tag": m[2], "line": m[1], "end": m[3].split(", ")[-1]}
        ),
    ),
    (
        re.compile(r"Invalid block tag on line (\d+): '([^']*)'"),
        lambda m: (
            _("La etiqueta {%% %(tag)s %%} de la línea %(line)s no existe o está fuera de lugar.")
            % {"tag": m[2], "line": m[1]}
        ),
    ),
    (
        re.compile(r"Empty variable tag on line (\d+)"),
        lambda m: _("Hay una variable vacía {{ }} en la línea %(line)s.") % {"line": m[1]},
    ),
    (
        re.compile(r"Empty block tag on line (\d+)"),
        lambda m: _("Hay una etiqueta vacía {%% %%} en la línea %(line)s.") % {"line": m[1]},
    ),
    (
        re.compile(r"Could not parse the remainder: '(.*)' from '(.*)'"),
        lambda m: (
            _("No se entiende «{{ %(var)s }}»: sobra «%(rest)s». Una variable se escribe así: {{ nombre }}.")
            % {"var": m[2], "rest": m[1]}
        ),
    ),
    (
        re.compile(r"Invalid filter: '([^']*)'"),
        lambda m: _("El filtro «%(name)s» no existe.") % {"name": m[1]},
    ),
    (
        re.compile(r"Variables and attributes may not begin with underscores: '([^']*)'"),
        lambda m: _("Una variable no puede empezar con «_»: «%(name)s».") % {"name": m[1]},
    ),
    (
        re.compile(r"(if expression|in if tag|in this position in if tag)"),
        lambda m: _("La condición de un {% if %} está mal escrita."),
    ),
    (
        re.compile(r"'for' (statements|tag)"),
        lambda m: _("Un {% for %} está mal escrito: se escribe {% for x in lista %} … {% endfor %}."),
    ),
]


def spanish_syntax_error(exc: Exception) -> str:
    """Django's English template error, said to staff in Spanish (never "Unclosed tag on line 1")."""
    text = str(exc)
    for pattern, say in _SYNTAX_MESSAGES:
        match = pattern.search(text)
        if match:
            return say(match)
    return _("La plantilla tiene un error de sintaxis: revisa las llaves {{ }} y las etiquetas {% %}.")


# --- reading a compiled template ------------------------------------------------------


def _filter_expression_names(expression, bound):
    if not isinstance(expression, FilterExpression):
        return
    var = expression.var
    if isinstance(var, Variable) and var.lookups:
        if var.lookups[0] not in bound:
            yield var.lookups[0]
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups and arg.lookups[0] not in bound:
                yield arg.lookups[0]


def _condition_names(condition, bound):
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield from _filter_expression_names(value, bound)
    for side in ("first", "second"):
        sub = getattr(condition, side, None)
        if sub is not None:
            yield from _condition_names(sub, bound)


def _walk(nodelist, bound):
    """(kind, value) pairs: ("var", name) for each variable read, ("tag", name), ("text", text)."""
    for node in nodelist or []:
        token = getattr(node, "token", None)
        if token is not None and token.token_type.name == "BLOCK":
            yield "tag", token.contents.split()[0] if token.contents.split() else ""
        if isinstance(node, TextNode):
            yield "text", node.s
        elif isinstance(node, VariableNode):
            for name in _filter_expression_names(node.filter_expression, bound):
                yield "var", name
        elif isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                for name in _condition_names(condition, bound):
                    yield "var", name
                yield from _walk(branch, bound)
        elif isinstance(node, ForNode):
            for name in _filter_expression_names(node.sequence, bound):
                yield "var", name
            yield from _walk(node.nodelist_loop, bound | set(node.loopvars) | {"forloop"})
            yield from _walk(node.nodelist_empty, bound)
        elif isinstance(node, WithNode):
            for value in node.extra_context.values():
                for name in _filter_expression_names(value, bound):
                    yield "var", name
            yield from _walk(node.nodelist, bound | set(node.extra_context))
        elif isinstance(node, FirstOfNode):
            for value in node.vars:
                for name in _filter_expression_names(value, bound):
                    yield "var", name
        else:
            for attr in node.child_nodelists:
                yield from _walk(getattr(node, attr, None), bound)


def variables_used(source: str) -> set[str]:
    """Names a template reads (raises TemplateSyntaxError if it does not compile)."""
    template = _ENGINE.from_string(source)
    return {value for what, value in _walk(template.nodelist, _CONTEXT_BUILTINS) if what == "var"}


def stray_delimiter(text: str) -> str:
    """An excerpt around a {{ }} {% %} brace left open or unopened in plain text, or ""."""
    for delimiter in _DELIMITERS:
        at = text.find(delimiter)
        if at >= 0:
            return text[max(0, at - 10) : at + 25].strip()
    return ""


# --- the validator --------------------------------------------------------------------


def template_problems(kind: str, text: str, channel: str = "") -> list[str]:
    """Spanish descriptions of everything wrong with a template for this kind ([] when it is fine)."""
    if not text or not text.strip():
        return []
    try:
        template = _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        return [spanish_syntax_error(exc)]
    except Exception as exc:  # a staff-typed template must never crash a form
        return [spanish_syntax_error(exc)]
    problems: list[str] = []
    allowed = {v.name for v in variables_for(kind)}
    unknown: list[str] = []
    for what, value in _walk(template.nodelist, _CONTEXT_BUILTINS):
        if what == "tag" and value not in ALLOWED_TAGS:
            problems.append(_("La etiqueta {%% %(tag)s %%} no se puede usar en un mensaje.") % {"tag": value})
        elif what == "text":
            excerpt = stray_delimiter(value)
            if excerpt:
                problems.append(
                    _(
                        "Hay llaves sin cerrar o sin abrir cerca de «%(text)s». "
                        "Una variable se escribe así: {{ nombre }}."
                    )
                    % {"text": excerpt}
                )
            single = _SINGLE_BRACE_VARIABLE.search(value)
            if single:
                problems.append(
                    _("«%(text)s» lleva una sola llave: escribe {{ %(name)s }}.")
                    % {"text": single[0], "name": single[1]}
                )
        elif what == "var" and value not in allowed and value not in unknown:
            unknown.append(value)
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
        message = _("La variable {{ %(name)s }} no existe en este tipo de mensaje.") % {"name": name}
        if close:
            message += " " + _("¿Quisiste decir {{ %(close)s }}?") % {"close": close[0]}
        message += " " + _("Disponibles: %(vars)s.") % {"vars": variables_hint(kind)}
        problems.append(message)
    if not problems and channel == "sms":
        from .channels.sms.preview import preview_sms, segment_limit_message

        preview = preview_sms(text, kind)
        if preview.over_limit:
            problems.append(str(segment_limit_message(preview)))
    return problems


def validate_template_text(kind: str, text: str, channel: str = "") -> None:
    """Raise a ValidationError (Spanish, one message per problem) if the text cannot be used for this kind.

    For forms: ``validate_template_text(kind, body, channel)`` in ``clean`` and
    ``add_error(field, exc)``. SMS texts are also held to ``SMS_MAX_SEGMENTS``.
    """
    problems = template_problems(kind, text, channel)
    if problems:
        raise ValidationError(problems)


# --- stored templates and send-time failures ------------------------------------------


def stored_template_problems() -> list[tuple[object, str, list[str]]]:
    """(template row, field, problems) for every stored template that would fail for its kind."""
    from .models import MessageTemplate

    found = []
    for row in MessageTemplate.objects.order_by("kind", "channel", "variant"):
        for field in ("subject", "body"):
            problems = template_problems(row.kind, getattr(row, field), row.channel if field == "body" else "")
            if problems:
                found.append((row, field, problems))
    return found


def recent_template_failures(now, hours: int = 24) -> list[tuple[str, str, int]]:
    """(kind, channel, count) of messages stopped by a template error in the last ``hours`` (staff banner, alerts)."""
    from django.db.models import Count, Q

    from .models import Message, Reason, Status

    since = now - timedelta(hours=hours)
    stopped = Q(status=Status.BLOCKED, closed_at__gte=since) | Q(status=Status.FAILED, failed_at__gte=since)
    # Rendering happens when a message is due: the bound on scheduled_for keeps this an index
    # range (status, scheduled_for) however large the log grows; it runs on every admin page.
    return list(
        Message.objects.filter(stopped, reason=Reason.TEMPLATE_ERROR, scheduled_for__gte=since - timedelta(days=7))
        .values_list("kind", "channel")
        .annotate(n=Count("pk"))
        .order_by("kind", "channel")
    )
