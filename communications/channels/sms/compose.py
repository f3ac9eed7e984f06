"""The final text of an SMS: the opt-out line for marketing, optional transliteration.

Ley 19.496 art. 28 B: every commercial message must tell the client how to stop
receiving them, so a marketing SMS always ends with the opt-out line (added here
when the template lacks it) and that line is counted in the segments billed.
"""

import re
import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

from .segments import is_gsm7

OPT_OUT_WORD = "BAJA"
# "Responde BAJA ..." in any case, with or without accents or quotes. A mere "baja"
# in the copy ("temporada baja") is not an opt-out instruction.
_OPT_OUT_INSTRUCTION = re.compile(r"\b(responde|responder|envia|escribe)\s*[:\"'«“]?\s*baja\b")

# Punctuation that word processors insert and GSM-7 lacks; replacing it keeps the
# message at 160 characters per segment instead of 70.
_PUNCTUATION = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "´": "'", "–": "-", "—": "-", "…": "..."}
)


def opt_out_line() -> str:
    # No accent on purpose: "más" alone would turn every marketing SMS into UCS-2
    # (70 characters per segment instead of 160), and without it the Spanish is wrong.
    return _("Para no recibir mensajes, responde BAJA")


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def has_opt_out_instruction(text: str) -> bool:
    return bool(_OPT_OUT_INSTRUCTION.search(strip_accents(text).casefold()))


def transliterate(text: str) -> str:
    """Replace what GSM-7 lacks by its closest GSM-7 form (á -> a, “ -> "), keeping é, ñ, ü, ¿, ¡.

    Characters without a GSM-7 form (emoji, most scripts) are kept as they are.
    """
    out = []
    for c in text.translate(_PUNCTUATION):
        if is_gsm7(c):
            out.append(c)
            continue
        base = unicodedata.normalize("NFKD", c)[0]
        out.append(base if is_gsm7(base) else c)
    return "".join(out)


def finalize(body: str, *, commercial: bool) -> str:
    """The exact text that goes out, and the one whose segments are billed."""
    text = body.strip()
    if commercial:
        if not has_opt_out_instruction(text):
            text = f"{text}\n{opt_out_line()}"
        # A marketing text that is UCS-2 only because of accents costs double or
        # more; the setting lets the business trade the accents for half the price.
        if settings.SMS_TRANSLITERATE_MARKETING and not is_gsm7(text):
            candidate = transliterate(text)
            if is_gsm7(candidate):
                text = candidate
    return text
