"""Shared body of send_sms / send_email: ask the gate, print its decision in Spanish, deliver at once."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communications import api, audit, delivery
from communications.kinds import KINDS
from communications.models import Reason, Status
from ventas.models import Cliente

from ._actor import add_actor_argument, resolve_actor

STATUS_TEXT = {
    "queued": _("en cola para enviar ahora"),
    "scheduled": _("programado"),
    "blocked": _("bloqueado"),
    "duplicate": _("duplicado (ya existía)"),
}


def add_common_arguments(parser):
    parser.add_argument("--cliente", type=int, required=True, help=_("id del cliente"))
    parser.add_argument("--dry-run", action="store_true", help=_("muestra la decisión sin escribir ni enviar nada"))
    parser.add_argument(
        "--contexto", action="append", default=[], metavar="CLAVE=VALOR", help=_("variable para la plantilla")
    )
    parser.add_argument(
        "--transaccional", action="store_true", help=_("marca un texto manual como transaccional (no publicitario)")
    )
    add_actor_argument(parser)


def parse_context(pairs) -> dict:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(_("Contexto inválido %(p)r: usa CLAVE=VALOR.") % {"p": pair})
        context[key.strip()] = value
    return context


def run(command, *, channel, cliente, kind, text, subject, dry_run, contexto, transaccional, actor):
    actor = resolve_actor(actor)
    if not Cliente.objects.filter(pk=cliente).exists():
        raise CommandError(_("No existe el cliente %(id)s.") % {"id": cliente})
    if kind is not None and kind not in KINDS:
        raise CommandError(
            _("Tipo de mensaje desconocido: %(k)s. Opciones: %(o)s") % {"k": kind, "o": ", ".join(KINDS)}
        )
    if kind is None and not text:
        raise CommandError(_("Indica --kind o --text."))
    fields = {"context": parse_context(contexto)}
    if text:
        kind = kind or "manual"
        fields.update(custom_text=text, subject=subject or "")
        if transaccional:
            fields["category"] = "transactional"
    outcome = api.send(cliente, kind, channel=channel, dry_run=dry_run, **fields)
    if not dry_run:
        audit.record(
            audit.AuditEvent.Action.MANUAL_SEND,
            actor=actor,
            obj=outcome.message,
            cliente_id=cliente,
            after={"canal": channel, "tipo": kind, "estado": outcome.status, "motivo": outcome.reason},
            from_command=True,
        )
    describe(command, outcome, dry_run)
    if outcome.status == "blocked":
        raise CommandError(_("Mensaje bloqueado: %(r)s.") % {"r": Reason(outcome.reason).label})
    if not dry_run and outcome.status == "queued" and outcome.message is not None:
        result = delivery.deliver(outcome.message.pk)
        outcome.message.refresh_from_db()
        command.stdout.write(_("Envío: %(s)s") % {"s": Status(outcome.message.status).label})
        if outcome.message.status in (Status.FAILED, Status.BLOCKED, Status.CANCELLED):
            raise CommandError(_("No se envió: %(r)s.") % {"r": outcome.message.get_reason_display()})
        if result.outcome == "retry":
            command.stdout.write(_("El proveedor no respondió; se reintentará automáticamente."))


def describe(command, outcome, dry_run):
    d = outcome.decision
    prefix = _("[simulación] ") if dry_run else ""
    command.stdout.write(
        prefix + _("Decisión: %(s)s por %(c)s") % {"s": STATUS_TEXT.get(outcome.status, outcome.status), "c": d.channel}
    )
    if d.scheduled_for and outcome.status in ("queued", "scheduled"):
        when = date_format(timezone.localtime(d.scheduled_for), "l j \\d\\e F Y, H:i")
        command.stdout.write(_("Hora de envío (Santiago): %(w)s") % {"w": when})
    if outcome.reason:
        command.stdout.write(_("Motivo: %(r)s") % {"r": Reason(outcome.reason).label})
