"""Which numbers can receive SMS, and the one place that formats a destination.

Chile's numbering plan no longer tells mobiles from landlines by type (the
library answers FIXED_LINE_OR_MOBILE for both), but every Chilean mobile starts
with +569. Foreign numbers must be valid and typed as mobile (or either).
"""

from functools import lru_cache

import phonenumbers

from ventas.phones import parse_phone

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=200_000)  # parsing costs ~0.1 ms; sweeps see the same numbers again and again
def sms_destination(telefono: str | None) -> str:
    """The provider's destination format for an SMS-capable number, or "" if it cannot receive SMS.

    Redvoiss was observed with ``+569XXXXXXXX``: E.164, which is what this returns.
    """
    number = parse_phone(telefono)
    if number is None:
        return ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code == 56:
        return e164 if e164.startswith("+569") and len(e164) == 12 else ""
    return e164 if phonenumbers.number_type(number) in _MOBILE_TYPES else ""
