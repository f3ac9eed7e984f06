"""What an SMS reply asks for, in the client's own words (Ley 19.496 art. 28 B: stopping must be easy).

Every marketing SMS tells the client to answer BAJA, and clients answer as people
do: "Baja por favor", "BAJA.", "stop pls", "darme de baja", "No más mensajes".
The law says we stop once asked, so when in doubt the classifier protects the
client:

- the first word is an opt-out keyword -> opt-out;
- a common Spanish opt-out phrase anywhere ("de baja", "no quiero recibir",
  "no me envíen", "eliminar mi número", ...) -> opt-out;
- a short reply (a few words) with an opt-out keyword anywhere -> opt-out;
- a longer reply that merely contains such a word ("¿la temporada baja tiene
  descuento?") -> review: staff read it in "respuestas por revisar";
- ALTA / START opt back in only as the whole reply (consent must be unambiguous).

"Cancelar" and "detener" also mean "cancel my booking", and an SMS opt-out stops
reminders too: they opt out alone or with "suscripción"/"mensajes", and go to
review otherwise. Pure functions: plain text in, a class out.
"""

import re

from .compose import strip_accents

OPT_OUT, OPT_IN, REVIEW = "opt_out", "opt_in", "review"
CONVERSATION = ""

# A reply starting with one of these opts out.
OPT_OUT_WORDS = frozenset({"baja", "stop", "salir", "basta", "desuscribir", "desuscribirme", "unsubscribe"})
# Words that also mean "cancel my booking": opt-out only with one of OBJECTS after them.
BOOKING_WORDS = frozenset({"cancelar", "detener", "parar"})
OBJECTS = frozenset({"suscripcion", "mensajes", "mensaje", "sms", "envios", "promociones", "publicidad"})
# In a short reply, these opt out wherever they are ("Por favor baja", "ok stop").
UNAMBIGUOUS_WORDS = frozenset({"baja", "stop", "desuscribir", "desuscribirme", "unsubscribe"})
OPT_IN_WORDS = frozenset({"alta", "start"})
SHORT_REPLY_WORDS = 4

# Matched on the normalised text (lowercase, no accents, words separated by one space).
_OPT_OUT_PHRASES = re.compile(
    r"\b("
    r"de baja|dar baja|darme baja|(quiero|pido|solicito|dame|denme|necesito) la baja"
    r"|no mas (mensajes|sms|promociones|publicidad|envios)"
    r"|no quiero (recibir|mas mensajes|mas sms|mas promociones|que me (escriban|envien|manden))"
    r"|no deseo recibir|no me interesa recibir"
    r"|no (me )?(envien|manden|escriban|contacten|molesten)"
    r"|dejen de (enviar|mandar|escribir)"
    r"|(eliminar|eliminen|borrar|borren|sacar|saquen|quitar|quiten) (mi numero|mi telefono|mi celular|mis datos)"
    r"|(eliminar|eliminen|borrar|borren|sacar|saquen|quitar|quiten)me de (la|su|sus) (lista|listas|base)"
    r"|cancelar (la )?suscripcion|desuscribirme|desuscribir"
    r")\b"
)
# "no me den de baja", "no quiero darme de baja": the client asks to stay.
_NEGATED_OPT_OUT = re.compile(r"\bno (me |lo |la )?(quiero |deseo )?(den|des|dar|darme|dan|doy) (de )?baja\b")
_WHOLE_REPLY_OPT_OUT = frozenset({"no mas", "nunca mas", "no mas gracias"})
_NOT_A_LETTER = re.compile(r"[\W_]+")


def words_of(text: str | None) -> list[str]:
    """Lowercase words without accents, punctuation or emoji."""
    return _NOT_A_LETTER.sub(" ", strip_accents(text or "").casefold()).split()


def keyword_of(text: str | None) -> str:
    """The reply's first word, normalised ("" for an empty reply): the evidence kept with a consent change."""
    words = words_of(text)
    return words[0] if words else ""


def classify_reply(text: str | None) -> str:
    """OPT_OUT, OPT_IN, REVIEW (possibly an opt-out: staff decide) or CONVERSATION ("")."""
    words = words_of(text)
    if not words:
        return CONVERSATION
    normalised = " ".join(words)
    first = words[0]
    if len(words) == 1 and first in OPT_IN_WORDS:
        return OPT_IN
    if _NEGATED_OPT_OUT.search(normalised):
        return REVIEW
    if first in OPT_OUT_WORDS or normalised in _WHOLE_REPLY_OPT_OUT or _OPT_OUT_PHRASES.search(normalised):
        return OPT_OUT
    if first in BOOKING_WORDS:
        return OPT_OUT if len(words) == 1 or OBJECTS.intersection(words[1:3]) else REVIEW
    mentioned = set(words) & (OPT_OUT_WORDS | BOOKING_WORDS)
    if not mentioned:
        return CONVERSATION
    if len(words) <= SHORT_REPLY_WORDS and mentioned & UNAMBIGUOUS_WORDS:
        return OPT_OUT
    return REVIEW
