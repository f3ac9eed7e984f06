"""What a staff-edited SMS template will cost: rendered with sample values, finalized, counted.

Used by the template admin's live counter and by its validation, so what staff see
is exactly what ``sender`` will bill (opt-out line and transliteration included).
"""

import unicodedata
from dataclasses import asdict, dataclass

from django.conf import settings
from django.template import Engine, TemplateSyntaxError
from django.template.base import Variable, VariableNode
from django.utils.translation import gettext_lazy as _

from communications.kinds import KINDS
from communications.models import Category
from communications.rendering import TemplateError, render_string

from .compose import finalize, has_opt_out_instruction, opt_out_line
from .segments import count_segments, non_gsm7_characters

# Each kind's declared variables have plausible samples (communications.template_checks);
# anything else gets a 10-character stand-in here, and the validator refuses it.
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
    # Marketing SMS lose their accents when that makes them cheaper (SMS_TRANSLITERATE_MARKETING):
    # staff are told, with what the accents would have cost.
    accents_removed: bool = False
    segments_with_accents: int = 0

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
    from communications.template_checks import sample_context

    context = {**{name: STAND_IN for name in template_variables(body)}, **sample_context(kind), **(context or {})}
    commercial = is_commercial(kind)
    rendered = render_string(body, context)
    text = finalize(rendered, commercial=commercial)
    info = count_segments(text)
    untouched = rendered.strip()
    if commercial and not has_opt_out_instruction(untouched):
        untouched = f"{untouched}\n{opt_out_line()}"
    accents_removed = untouched != text
    return SmsPreview(
        text=text,
        encoding=info.encoding,
        segments=info.segments,
        units=info.units,
        units_left=info.units_left,
        cost_clp=info.cost_clp,
        max_segments=settings.SMS_MAX_SEGMENTS,
        commercial=commercial,
        ucs2_characters=visible(non_gsm7_characters(text)),
        accents_removed=accents_removed,
        segments_with_accents=count_segments(untouched).segments if accents_removed else info.segments,
    )


def visible(characters: list[str]) -> list[str]:
    """Drop invisible marks (an emoji's variation selector) from what staff are shown."""
    return [c for c in characters if unicodedata.category(c) not in ("Mn", "Me", "Cf")]


def segment_limit_message(preview: SmsPreview) -> str:
    return _(
        "El SMS ocupa %(segments)d segmentos y el máximo permitido es %(max)d (cada segmento cuesta "
        "%(price)d CLP). Acórtalo o quita caracteres especiales."
    ) % {"segments": preview.segments, "max": preview.max_segments, "price": settings.SMS_COST_PER_SEGMENT_CLP}
