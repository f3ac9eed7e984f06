"""Phone numbers: one place that turns what a receptionist typed into E.164.

Chile is the default region, so "9 8765 4321" and "+56 9 8765 4321" are the
same client. Whether a number can receive SMS is a communications concern and
lives there; this module only parses and formats.
"""

import phonenumbers

DEFAULT_REGION = "CL"


def parse_phone(raw: str | None, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber | None:
    """Return the parsed, *valid* number, or None for empty or unusable input."""
    if not raw or not str(raw).strip():
        return None
    try:
        number = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form (``+56987654321``) of a valid number, else None."""
    number = parse_phone(raw, region)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(value: str | None) -> str:
    """A phone fit for logs: country prefix and last two digits only."""
    if not value:
        return "-"
    digits = str(value)
    return f"{digits[:3]}…{digits[-2:]}" if len(digits) > 6 else "…"
