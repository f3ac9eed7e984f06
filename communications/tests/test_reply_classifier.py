"""Opt-out in the client's own words: real-looking Spanish replies, each with the class it must get.

Finding H1 (lifecycle): "Baja por favor", "de baja" and "No más mensajes" were ordinary
replies, and the client kept receiving marketing SMS.
"""

import pytest

from communications.channels.sms.keywords import CONVERSATION, OPT_IN, OPT_OUT, REVIEW, classify_reply

REPLIES = [
    # The keyword, however it is typed.
    ("BAJA", OPT_OUT),
    ("baja", OPT_OUT),
    ("BAJA.", OPT_OUT),
    (" Baja! ", OPT_OUT),
    ("bája", OPT_OUT),
    ("Baja por favor", OPT_OUT),
    ("baja x favor 🙏", OPT_OUT),
    ("BAJA BAJA", OPT_OUT),
    ("Baja, gracias", OPT_OUT),
    ("STOP", OPT_OUT),
    ("stop pls", OPT_OUT),
    ("Stop!!!", OPT_OUT),
    ("Salir", OPT_OUT),
    ("Basta de mensajes", OPT_OUT),
    ("Cancelar", OPT_OUT),
    ("Cancelar suscripción", OPT_OUT),
    ("Detener mensajes", OPT_OUT),
    # Common Spanish phrases, anywhere in the reply.
    ("de baja", OPT_OUT),
    ("darme de baja", OPT_OUT),
    ("Quiero darme de baja de sus mensajes", OPT_OUT),
    ("Por favor denme de baja", OPT_OUT),
    ("quiero la baja", OPT_OUT),
    ("No más mensajes", OPT_OUT),
    ("no mas sms por favor", OPT_OUT),
    ("No quiero más mensajes", OPT_OUT),
    ("Hola, no quiero recibir más publicidad de ustedes", OPT_OUT),
    ("NO ME ENVÍEN MÁS MENSAJES", OPT_OUT),
    ("no me manden mas cosas", OPT_OUT),
    ("Eliminar mi número de su lista", OPT_OUT),
    ("por favor eliminen mi numero", OPT_OUT),
    ("Dejen de enviar mensajes a este número 😡", OPT_OUT),
    ("no más", OPT_OUT),
    # Short replies with the word elsewhere: when in doubt, protect the client.
    ("Por favor baja", OPT_OUT),
    ("ok stop", OPT_OUT),
    ("Sí, baja", OPT_OUT),
    ("¿Baja? no, ¡alta!", OPT_OUT),
    # Opting back in: only the bare word.
    ("ALTA", OPT_IN),
    ("alta", OPT_IN),
    ("Alta.", OPT_IN),
    ("Start", OPT_IN),
    ("Alta por favor, quiero seguir recibiendo", CONVERSATION),
    # Longer conversation that merely contains the word: staff decide.
    ("Hola, ¿en temporada baja tienen precios especiales para cabañas?", REVIEW),
    ("Necesito cancelar mi reserva del sábado", REVIEW),
    ("Cancelar la reserva de mañana, me enfermé", REVIEW),
    ("No me den de baja, solo quería saber el horario", REVIEW),
    ("no quiero darme de baja, me encantan las promos", REVIEW),
    ("La presión me baja con las tinas calientes, ¿es seguro ir?", REVIEW),
    # Conversation.
    ("¡Gracias! ¿Tienen hora el sábado?", CONVERSATION),
    ("no puedo bajar hoy", CONVERSATION),
    ("bajar", CONVERSATION),
    ("Gracias", CONVERSATION),
    ("👍", CONVERSATION),
    ("Ok, nos vemos mañana a las 18:00", CONVERSATION),
    ("Qué lindo, gracias por el saludo de cumpleaños ❤️", CONVERSATION),
    ("¿No me envían la confirmación por correo?", CONVERSATION),
    ("Quiero reservar una tina para dos el viernes", CONVERSATION),
    ("", CONVERSATION),
    (None, CONVERSATION),
]


def test_the_corpus_has_at_least_forty_replies_of_every_class():
    assert len(REPLIES) >= 40
    assert {expected for _, expected in REPLIES} == {OPT_OUT, OPT_IN, REVIEW, CONVERSATION}


@pytest.mark.parametrize(("text", "expected"), REPLIES)
def test_a_reply_gets_the_class_a_person_would_give_it(text, expected):
    assert classify_reply(text) == expected
