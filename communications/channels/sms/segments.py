"""SMS segment counting: GSM-7 versus UCS-2, and what a text costs.

Money lives here: the provider bills per segment. A GSM-7 SMS holds 160 septets
(153 per part once concatenated, the rest is the UDH); one character outside
GSM-7 (á, í, ó, ú, emoji...) turns the whole text into UCS-2: 70 UTF-16 units
(67 per part). Extension characters ({ } [ ] ~ \\ | ^ € and form feed) take two
septets (escape + code) and are never split across parts; a character outside
the BMP (emoji) takes two UTF-16 units (a surrogate pair) and is never split either.
"""

from dataclasses import dataclass

from django.conf import settings

# GSM 03.38 default alphabet without ESC (0x1B), which no one types.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7, UCS2 = "GSM-7", "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (single message, each part of a long one)


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    units_left: int = 0  # room left in the last segment before another one is billed

    @property
    def cost_clp(self) -> int:
        return self.segments * settings.SMS_COST_PER_SEGMENT_CLP


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of appearance (shown to staff)."""
    seen: dict[str, None] = {}
    for c in text:
        if c not in _BASIC and c not in _EXTENSION:
            seen.setdefault(c)
    return list(seen)


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count_segments(text: str) -> SegmentInfo:
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    single, part = LIMITS[encoding]
    if units <= single:
        return SegmentInfo(encoding, 1 if units else 0, units, single - units)
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:  # a two-unit character never straddles two parts
            segments, used = segments + 1, 0
        used += size
    return SegmentInfo(encoding, segments, units, part - used)
