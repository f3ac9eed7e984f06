"""Which numbers can receive SMS, and the one place that formats a destination.

Chile's numbering plan no longer tells mobiles from landlines by type (the
library answers FIXED_LINE_OR_MOBILE for both), but every Chilean mobile starts
with +569 followed by eight digits. Foreign numbers must be valid and typed as
mobile (or "fixed line or mobile", which is how several countries report them).
"""

import phonenumbers
from django.conf import settings

from ventas.phones import PhoneCache, parse_phone

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Redvoiss was observed with "+569XXXXXXXX" and, in one docstring, "569XXXXXXXX".
# Until the provider confirms, the format is a setting and this module the only place that applies it.
FORMATS = ("e164", "digits")


def sms_number(telefono: str | None) -> phonenumbers.PhoneNumber | None:
    """The parsed number if it can receive SMS (a valid Chilean or foreign mobile), else None."""
    number = parse_phone(telefono)
    if number is None:
        return None
    if number.country_code == 56:
        national = str(number.national_number)
        return number if national.startswith("9") and len(national) == 9 else None
    return number if phonenumbers.number_type(number) in _MOBILE_TYPES else None


def _sms_e164(telefono: str) -> str:
    number = sms_number(telefono)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number is not None else ""


# E.164 form of an SMS-capable number, or "" (see PhoneCache for why a plain bounded dict).
_e164 = PhoneCache(_sms_e164)


def _formatted(e164: str) -> str:
    fmt = settings.SMS_DESTINATION_FORMAT
    if fmt not in FORMATS:
        raise ValueError(f"SMS_DESTINATION_FORMAT must be one of {FORMATS}, not {fmt!r}")
    return e164 if fmt == "e164" else e164.lstrip("+")


def sms_destination(telefono: str | None) -> str:
    """The provider's destination for an SMS-capable number, or "" if it cannot receive SMS."""
    e164 = _e164(telefono or "")
    return _formatted(e164) if e164 else ""


def same_destination(a: str | None, b: str | None) -> bool:
    """Whether two destinations name the same handset, whatever prefix each carries (+56, 56 or none)."""
    short, long = sorted((digits(a), digits(b)), key=len)
    return len(short) >= 8 and long.endswith(short)


def digits(value: str | None) -> str:
    return "".join(c for c in str(value or "") if c.isdigit())
