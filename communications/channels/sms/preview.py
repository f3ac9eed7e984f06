"""What a staff-edited SMS template will cost: rendered with sample values, finalized, counted.

Used by the template admin's live counter and by its validation, so what staff see
is exactly what ``sender`` will bill (opt-out line and transliteration included).
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.template import Engine, TemplateSyntaxError
from django.template.base import Variable, VariableNode
from django.utils.translation import gettext_lazy as _

from communications.kinds import KINDS
from communications.models import Category
from communications.rendering import TemplateError, render_string

from .compose import finalize
from .segments import count_segments, non_gsm7_characters

# Plausible values of typical length; unknown variables get a 10-character stand-in.
SAMPLE_CONTEXT = {
    "nombre": "Francisca",
    "nombre_completo": "Francisca Muñoz Soto",
    "fecha": "14/03/2026",
    "hora": "18:30",
    "servicio": "Tina caliente con hidromasaje",
    "novedad": "nuevas cabañas junto al lago",
    "descuento": "20%",
}
STAND_IN = "xxxxxxxxxx"
_PARSER = Engine(debug=False, loaders=[], libraries={})


@dataclass(frozen=True)
class SmsPreview:
    text: str
    encoding: str
    segments: int
    units: int
    units_left: int
    cost_clp: int
    max_segments: int
    commercial: bool
    ucs2_characters: list[str]

    @property
    def over_limit(self) -> bool:
        return self.segments > self.max_segments

    def as_dict(self) -> dict:
        return {**asdict(self), "over_limit": self.over_limit}


def is_commercial(kind: str) -> bool:
    """Marketing kinds carry the opt-out line; campaign/manual count as marketing unless staff say otherwise."""
    known = KINDS.get(kind)
    return known is None or known.category == Category.MARKETING


def template_variables(source: str) -> set[str]:
    try:
        template = _PARSER.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc
    names = set()
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        if isinstance(var, Variable) and var.var:
            names.add(str(var.var).split(".")[0])
    return names


def preview_sms(body: str, kind: str, context: dict | None = None) -> SmsPreview:
    """Raises TemplateError if the template cannot be rendered. ``context`` overrides the sample values."""
    context = {**{name: STAND_IN for name in template_variables(body)}, **SAMPLE_CONTEXT, **(context or {})}
    commercial = is_commercial(kind)
    text = finalize(render_string(body, context), commercial=commercial)
    info = count_segments(text)
    return SmsPreview(
        text=text,
        encoding=info.encoding,
        segments=info.segments,
        units=info.units,
        units_left=info.units_left,
        cost_clp=info.cost_clp,
        max_segments=settings.SMS_MAX_SEGMENTS,
        commercial=commercial,
        ucs2_characters=non_gsm7_characters(text),
    )


def segment_limit_message(preview: SmsPreview) -> str:
    return _(
        "El SMS ocupa %(segments)d segmentos y el máximo permitido es %(max)d (cada segmento cuesta "
        "%(price)d CLP). Acórtalo o quita caracteres especiales."
    ) % {"segments": preview.segments, "max": preview.max_segments, "price": settings.SMS_COST_PER_SEGMENT_CLP}
