"""Manual sends from the command line: Spanish decisions, non-zero exit when blocked, dry runs write nothing."""

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from communications.channels.sms.backends import locmem
from communications.models import Message, Status
from communications.tests.helpers import local, new_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    locmem.outbox.clear()
    with time_machine.travel(local(2026, 11, 25, 10), tick=False):
        yield


@pytest.fixture(autouse=True)
def operator():
    """The staff member named by --actor (the commands refuse anyone else)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("operador", is_staff=True)


def run(*args):
    out = io.StringIO()
    call_command(*args, "--actor", "operador", stdout=out)
    return out.getvalue()


def test_send_sms_with_text_sends_now_and_says_so_in_spanish():
    ana = new_client(nombre="Ana Pérez")
    output = run("send_sms", "--cliente", str(ana.pk), "--text", "Hola {{ nombre }}, te esperamos")
    assert "Decisión: en cola para enviar ahora por sms" in output
    assert "Envío: Enviado" in output
    assert locmem.outbox[-1].body.startswith("Hola Ana, te esperamos")


def test_dry_run_prints_the_decision_and_writes_and_sends_nothing():
    ana = new_client()
    output = run("send_sms", "--cliente", str(ana.pk), "--kind", "birthday", "--dry-run")
    assert output.startswith("[simulación] Decisión: en cola")
    assert Message.objects.count() == 0 and locmem.outbox == []


def test_a_blocked_message_exits_non_zero_with_the_reason():
    nobody = new_client(telefono=None)
    with pytest.raises(CommandError, match="Mensaje bloqueado: Sin teléfono"):
        run("send_sms", "--cliente", str(nobody.pk), "--text", "Hola")
    assert Message.objects.get(cliente=nobody).status == Status.BLOCKED


def test_a_deferred_message_reports_when_it_will_go():
    ana = new_client()
    run("send_sms", "--cliente", str(ana.pk), "--text", "uno")
    run("send_sms", "--cliente", str(ana.pk), "--text", "dos")
    output = run("send_sms", "--cliente", str(ana.pk), "--text", "tres")
    assert "Decisión: programado" in output
    assert "jueves 26 de noviembre 2026, 09:00" in output
    assert "Motivo: Límite diario de SMS" in output


def test_send_email_by_kind():
    from django.core import mail

    ana = new_client(email="ana@example.cl")
    output = run("send_email", "--cliente", str(ana.pk), "--kind", "welcome_1")
    assert "por email" in output and mail.outbox[-1].to == ["ana@example.cl"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cliente", "999999", "--text", "x"], "No existe el cliente"),
        (["--kind", "no_existe"], "Tipo de mensaje desconocido"),
        (["--text", "x", "--contexto", "sin-igual"], "Contexto inválido"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    ana = new_client()
    if "--cliente" not in args:
        args = ["--cliente", str(ana.pk), *args]
    with pytest.raises(CommandError, match=message):
        run("send_sms", *args)
