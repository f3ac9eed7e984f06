"""Opt-out and opt-in keywords in SMS replies (Ley 19.496 art. 28 B: stopping must be easy).

Only a reply that is a single keyword counts ("BAJA", "baja.", "Stop!"), in any
case and with accents ignored; "no puedo bajar hoy" is a conversation, not an
opt-out, and is recorded as an ordinary reply for staff to read.
"""

import re

from .compose import strip_accents

OPT_OUT_WORDS = frozenset({"baja", "stop", "salir", "detener", "cancelar"})
OPT_IN_WORDS = frozenset({"alta", "start"})
OPT_OUT, OPT_IN = "opt_out", "opt_in"
_NOT_A_LETTER = re.compile(r"[\W_]+")


def keyword_of(text: str | None) -> str:
    """The reply as a bare lowercase word without accents or punctuation ("" if several words)."""
    words = _NOT_A_LETTER.sub(" ", strip_accents(text or "").casefold()).split()
    return words[0] if len(words) == 1 else ""


def classify_reply(text: str | None) -> str:
    """OPT_OUT, OPT_IN or "" (an ordinary reply)."""
    word = keyword_of(text)
    if word in OPT_OUT_WORDS:
        return OPT_OUT
    if word in OPT_IN_WORDS:
        return OPT_IN
    return ""
