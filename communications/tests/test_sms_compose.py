"""The final SMS text: opt-out line for marketing (Ley 19.496), transliteration, segment limit."""

import pytest

from communications.channels.sms.compose import finalize, has_opt_out_instruction, opt_out_line, transliterate
from communications.channels.sms.segments import GSM7, UCS2, count_segments


def test_marketing_sms_end_with_the_opt_out_line(settings):
    settings.SMS_TRANSLITERATE_MARKETING = False
    text = finalize("Hola Ana, 20% en tinas este mes.", commercial=True)
    assert text.endswith("\n" + opt_out_line())
    assert opt_out_line() == "Para no recibir mensajes, responde BAJA"


def test_the_opt_out_line_is_correct_spanish_that_costs_no_extra_segment():
    """S-M6: "Responde BAJA para no recibir más" made every marketing SMS UCS-2 (or lost its accent)."""
    assert count_segments(opt_out_line()).encoding == GSM7
    assert has_opt_out_instruction(opt_out_line())


def test_transactional_sms_get_no_opt_out_line():
    assert finalize("Tu reserva está confirmada.", commercial=False) == "Tu reserva está confirmada."


def test_a_template_that_already_says_how_to_opt_out_is_left_alone():
    text = "Hola Ana, 20% en tinas. Responde baja si no quieres mas mensajes"
    assert finalize(text, commercial=True) == text


def test_the_word_baja_alone_is_not_an_opt_out_instruction():
    # "temporada baja" (low season) must not save the business the opt-out line.
    assert not has_opt_out_instruction("Aprovecha la temporada baja en Aremko")
    assert finalize("Aprovecha la temporada baja", commercial=True).endswith("responde BAJA")


def test_the_opt_out_line_counts_in_the_segments(settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    body = "a" * 150
    assert count_segments(body).segments == 1
    assert count_segments(finalize(body, commercial=True)).segments == 2


def test_marketing_made_ucs2_only_by_accents_is_transliterated(settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    text = finalize("Hola Sofía, ¡tu próxima visita tiene 20%!", commercial=True)
    assert text.startswith("Hola Sofia, ¡tu proxima visita tiene 20%!")
    assert count_segments(text).encoding == GSM7


def test_transliteration_can_be_switched_off(settings):
    settings.SMS_TRANSLITERATE_MARKETING = False
    assert count_segments(finalize("Hola Sofía", commercial=True)).encoding == UCS2


def test_a_marketing_text_with_emoji_is_not_mangled(settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    text = finalize("Hola Sofía 🎉", commercial=True)
    assert "Sofía 🎉" in text  # transliteration would not make it GSM-7, so nothing changes


def test_transactional_copy_keeps_its_accents(settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    assert finalize("Tu cita es mañana a las 18:30, José María.", commercial=False).endswith("José María.")


@pytest.mark.parametrize(
    "raw, expected",
    [("Canción", "Cancion"), ("“Oferta” – ya…", '"Oferta" - ya...'), ("pingüino ñandú", "pingüino ñandu")],
)
def test_transliteration_keeps_what_gsm7_has(raw, expected):
    assert transliterate(raw) == expected
