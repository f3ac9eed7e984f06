"""Phone numbers: one place that turns what a receptionist typed into E.164.

Chile is the default region, so "9 8765 4321" and "+56 9 8765 4321" are the
same client. Whether a number can receive SMS is a communications concern and
lives there; this module only parses and formats.
"""

from collections.abc import Callable

import phonenumbers

DEFAULT_REGION = "CL"


class PhoneCache:
    """Answers about phone numbers (strings in, strings out), cached because parsing costs ~0.1 ms.

    The gate and the sweeps see the same numbers again and again. A plain dict of strings,
    not functools.lru_cache of parsed numbers: a 1M-client sweep fills the cache, and the
    garbage collector walks every tracked object on each full collection (lru_cache's links
    and PhoneNumber objects are tracked; a dict holding only strings is not). With 200,000
    parsed numbers cached, a quarter of a sweep went to the collector. When full, the cache
    starts over: cheap, bounded, and a sweep reads in client order, so it seldom needs an
    old entry again.
    """

    def __init__(self, compute: Callable[[str], str], size: int = 200_000):
        self.compute, self.size, self.answers = compute, size, {}

    def __call__(self, raw: str) -> str:
        answer = self.answers.get(raw)
        if answer is None:
            answer = self.compute(raw)
            if len(self.answers) >= self.size:
                self.answers.clear()
            self.answers[raw] = answer
        return answer


def parse_phone(raw: str | None, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber | None:
    """Return the parsed, *valid* number, or None for empty or unusable input."""
    if not raw or not str(raw).strip():
        return None
    try:
        number = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _e164(raw: str, region: str = DEFAULT_REGION) -> str:
    number = parse_phone(raw, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number is not None else ""


# The gate normalises each client's number twice per decision (opt-out and suppression
# lists are keyed by E.164).
_normalized = PhoneCache(_e164)


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form (``+56987654321``) of a valid number, else None."""
    if region != DEFAULT_REGION or not isinstance(raw, str):
        return _e164(raw, region) or None
    return _normalized(raw) or None


def mask_phone(value: str | None) -> str:
    """A phone fit for logs: country prefix and last two digits only."""
    if not value:
        return "-"
    digits = str(value)
    return f"{digits[:3]}…{digits[-2:]}" if len(digits) > 6 else "…"
