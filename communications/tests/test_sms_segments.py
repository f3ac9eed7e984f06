"""Segments are money: GSM-7 versus UCS-2, 160/153 and 70/67, checked against the gsm0338 codec."""

import codecs

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communications.channels.sms.segments import GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, count_segments


def test_hola_is_one_gsm7_segment():
    info = count_segments("Hola")
    assert (info.encoding, info.segments, info.units) == (GSM7, 1, 4)


def test_160_gsm7_characters_fit_in_one_segment_and_161_need_two():
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_question_with_accents_is_ucs2():
    assert count_segments("¿Cómo estás?").encoding == UCS2


def test_nandu_is_ucs2_because_of_the_u_acute_not_the_enye():
    assert count_segments("ñandu").encoding == GSM7
    assert count_segments("ñandú").encoding == UCS2


def test_gsm7_keeps_e_acute_enye_u_umlaut_and_inverted_marks():
    assert count_segments("¡Qué pingüino tan añoso! ¿Él?").encoding == GSM7


def test_euro_counts_as_two_septets():
    assert count_segments("€").units == 2
    assert count_segments("10€").units == 4
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2


def test_an_extension_character_never_straddles_two_parts():
    # 152 septets then "{" (2 septets): 154 > 153, so "{" opens the second part.
    text = "a" * 152 + "{" + "a" * 10
    info = count_segments(text)
    assert info.units == 164
    assert info.segments == 2
    assert info.units_left == 153 - 12


def test_ucs2_limits_are_70_and_67():
    assert count_segments("á" * 70).segments == 1
    assert count_segments("á" * 71).segments == 2
    assert count_segments("á" * 134).segments == 2
    assert count_segments("á" * 135).segments == 3


def test_an_emoji_takes_two_units_and_is_never_split():
    assert count_segments("🙂").units == 2
    info = count_segments("á" * 66 + "🙂" + "á")
    assert info.units == 69 and info.segments == 1
    info = count_segments("á" * 66 + "🙂" + "á" * 4)
    assert info.segments == 2  # 66 + 2 > 67: the emoji opens part two


def test_cost_is_per_segment(settings):
    settings.SMS_COST_PER_SEGMENT_CLP = 12
    assert count_segments("a" * 161).cost_clp == 24
    assert count_segments("").segments == 0


# --- the gsm0338 codec as an oracle -------------------------------------------------


def oracle(text: str) -> tuple[str, int, int]:
    """(encoding, units, segments) from an independent implementation over encoded bytes."""
    try:
        encoded = codecs.encode(text, "gsm03.38")
    except UnicodeError:
        units = len(text.encode("utf-16-le")) // 2
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
        encoding, single, part = UCS2, 70, 67
    else:
        units = len(encoded)
        # 0x1B escapes the next septet: the pair is one character and one indivisible unit.
        sizes, i = [], 0
        while i < len(encoded):
            size = 2 if encoded[i] == 0x1B else 1
            sizes.append(size)
            i += size
        encoding, single, part = GSM7, 160, 153
    if units <= single:
        return encoding, units, 1 if units else 0
    parts, used = [[]], 0
    for size in sizes:
        if used + size > part:
            parts.append([])
            used = 0
        parts[-1].append(size)
        used += size
    return encoding, units, len(parts)


SPANISH = "abcdefghijklmnopqrstuvwxyzáéíóúüñÁÉÍÓÚÜÑ¿¡ .,;:!?-\n0123456789"
EMOJI = "🙂😀🎉💆🌲♨️❤"
alphabets = st.sampled_from([GSM7_BASIC + GSM7_EXTENSION, SPANISH, SPANISH + EMOJI, GSM7_BASIC + "€{}[]" + EMOJI])


@st.composite
def texts(draw):
    alphabet = draw(alphabets)
    return draw(st.text(alphabet=alphabet, max_size=420))


@settings(max_examples=400, deadline=None)
@given(texts())
def test_counting_agrees_with_the_gsm0338_codec(text):
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments) == oracle(text)


@pytest.mark.parametrize("text", ["", "a", "a" * 153, "{" * 77, "ñ" * 200, "😀" * 40])
def test_oracle_and_counter_agree_on_edges(text):
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments) == oracle(text)
