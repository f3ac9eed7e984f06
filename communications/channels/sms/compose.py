"""The final text of an SMS: opt-out line for marketing, optional transliteration."""

import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

from .segments import is_gsm7

OPT_OUT_WORD = "BAJA"


def opt_out_line() -> str:
    return _("Responde BAJA para no recibir más")


def transliterate(text: str) -> str:
    """Strip accents that GSM-7 lacks (á -> a) but keep the ones it has (é, ñ, ü, ¿, ¡)."""
    out = []
    for c in text:
        if is_gsm7(c):
            out.append(c)
            continue
        base = unicodedata.normalize("NFKD", c)[0]
        out.append(base if is_gsm7(base) else c)
    return "".join(out)


def finalize(body: str, *, commercial: bool) -> str:
    """Marketing SMS always end with the opt-out line (Ley 19.496 art. 28 B), counted in segments."""
    text = body.strip()
    if commercial:
        if OPT_OUT_WORD not in text.upper():
            text = f"{text}\n{opt_out_line()}"
        # A marketing text that is UCS-2 only because of accents costs double; the
        # setting lets the business trade the accents for half the price.
        if settings.SMS_TRANSLITERATE_MARKETING and not is_gsm7(text):
            candidate = transliterate(text)
            if is_gsm7(candidate):
                text = candidate
    return text
