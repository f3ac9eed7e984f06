"""Ley 21.719: a client takes their data away (export) or has it erased, and stays erased."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import models

from communications import api, audit, delivery
from communications.gate import request_message
from communications.models import ConsentEvent, DeliveryEvent, Message, Reason, Status
from communications.privacy import erase, export, retention
from communications.tests.helpers import local, new_client, req
from ventas.models import CampaignInteraction, Cliente, VentaReserva
from ventas.tests.factories import give_visits

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 11)


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("administracion", password="x", is_staff=True)


def rich_history(nombre, email, telefono):
    """A client with bookings, sent SMS and email, a reply event, consent changes and an interaction."""
    cliente = new_client(nombre=nombre, email=email, telefono=telefono)
    give_visits(cliente, 2, 45_000, days_ago=30)
    sms = request_message(req(cliente), now=WED).message
    delivery.deliver(sms.pk, now=WED)
    mail = api.send(cliente, "manual", channel="email", custom_text=f"Hola {nombre}", subject="Hola", now=WED).message
    DeliveryEvent.objects.create(
        message=sms,
        provider="redvoiss",
        event_type="reply",
        dedupe_key=f"reply:{telefono}:1",
        payload={"from": telefono, "text": f"Gracias, soy {nombre}"},
    )
    CampaignInteraction.objects.create(
        cliente=cliente, interaction_type="call", details={"notes": f"llamar a {nombre}"}
    )
    api.opt_out(cliente, channel="email", scope="marketing", evidence={"email": email}, message_id=mail.pk)
    request_message(req(cliente, at=local(2026, 11, 28, 11)), now=WED)  # a scheduled message, still pending
    return Cliente.objects.get(pk=cliente.pk)


@pytest.fixture
def erin():
    return rich_history("Erin Zúñiga Quiroz", "erin.zuniga@example.cl", "+56991234567")


@pytest.fixture
def other():
    return rich_history("Otto Baeza Lillo", "otto.baeza@example.cl", "+56997654321")


def test_the_export_holds_everything_about_the_client_and_nothing_about_anyone_else(erin, other):
    archive = zipfile.ZipFile(io.BytesIO(export.export_zip(erin.pk)))
    names = set(archive.namelist())
    assert {"datos.json", "cliente.csv", "reservas.csv", "mensajes.csv", "consentimientos.csv"} <= names
    data = json.loads(archive.read("datos.json"))
    assert data["cliente"][0]["email"] == "erin.zuniga@example.cl"
    assert len(data["reservas"]) == 2 and len(data["mensajes"]) == 3
    assert {e["granted"] for e in data["consentimientos"]} == {False}
    assert data["eventos_de_entrega"][0]["payload"]["text"].startswith("Gracias")
    everything = b"".join(archive.read(n) for n in names).decode("utf-8")
    for foreign in ("Otto", "otto.baeza@example.cl", "+56997654321", "97654321"):
        assert foreign not in everything
    assert archive.read("cliente.csv").startswith("\ufeff".encode())  # Excel in Chile opens it as UTF-8


def personal_forms(nombre, email, telefono):
    national = telefono.removeprefix("+56")
    return [*nombre.split(), email, telefono, national, f"{national[0]} {national[1:5]} {national[5:]}"]


def text_values_everywhere():
    """Every text and JSON value of every table, as strings."""
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField | models.EmailField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for value in row:
                if value not in (None, "", {}, []):
                    yield (
                        model._meta.label,
                        json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value,
                    )


def test_after_erasure_no_personal_value_remains_in_any_table(erin, other, staff):
    forms = personal_forms("Erin Zúñiga Quiroz", "erin.zuniga@example.cl", "+56991234567")
    assert any(f in v for _, v in text_values_everywhere() for f in forms)  # the scan can see them
    erase.erase_client(erin.pk, actor=staff.username)
    leftovers = [(label, form) for label, value in text_values_everywhere() for form in forms if form in value]
    assert leftovers == []
    # Other clients keep their data; bookings stay as accounting records.
    assert Cliente.objects.get(pk=other.pk).nombre == "Otto Baeza Lillo"
    assert VentaReserva.objects.filter(cliente=erin).count() == 2
    assert ConsentEvent.objects.filter(cliente=erin).count() == 1  # the proof stays, its values are blank


def test_a_re_imported_client_with_the_same_phone_and_email_gets_no_marketing(erin, staff):
    erase.erase_client(erin.pk, actor=staff.username)
    again = new_client(nombre="Erin Z.", email="ERIN.zuniga@example.cl", telefono="9 9123 4567")
    assert api.explain(again, "manual", "sms", custom_text="Hola", now=WED).reason == Reason.SUPPRESSED
    assert api.explain(again, "vip_newsletter", "email", now=WED).reason == Reason.SUPPRESSED
    # Transactional messages are not marketing: a booking confirmation still goes.
    assert api.explain(again, "booking_confirmation", now=WED).status == Status.QUEUED


def test_erasure_cancels_pending_messages_and_keeps_the_counts_of_what_went(erin, staff):
    def settled():
        rows = Message.objects.filter(cliente=erin).exclude(reason=Reason.SUPPRESSED)
        return sorted(rows.exclude(status__in=(Status.SCHEDULED, Status.QUEUED)).values_list("kind", "status"))

    before = settled()
    report = erase.erase_client(erin.pk, actor=staff.username)
    assert report.cancelled == 1
    assert settled() == before
    assert Message.objects.filter(cliente=erin, status=Status.CANCELLED, reason=Reason.SUPPRESSED).count() == 1


def test_erasure_waits_while_a_message_is_being_handed_to_the_provider(erin, staff):
    Message.objects.filter(cliente=erin, status=Status.SCHEDULED).update(status=Status.SENDING)
    with pytest.raises(erase.ErasureRefused):
        erase.erase_client(erin.pk, actor=staff.username)
    assert Cliente.objects.get(pk=erin.pk).nombre == "Erin Zúñiga Quiroz"


def test_the_commands_need_an_actor_and_a_confirmation_and_are_audited(erin, staff, tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("export_client", str(erin.pk), "--actor", "nadie")
    target = tmp_path / "erin.zip"
    call_command("export_client", str(erin.pk), "--output", str(target), "--actor", staff.username)
    assert capsys.readouterr().out.strip() == str(target)
    assert zipfile.is_zipfile(target)
    with pytest.raises(CommandError, match="--confirm"):
        call_command("erase_client", str(erin.pk), "--actor", staff.username)
    call_command("erase_client", str(erin.pk), "--confirm", "--actor", staff.username)
    events = list(audit.AuditEvent.objects.filter(cliente_id_ref=erin.pk).order_by("pk"))
    assert [e.action for e in events] == ["export", "erasure"]
    assert all(e.actor == "administracion" and e.os_user for e in events)


def test_audit_events_cannot_be_edited_or_deleted(staff):
    event = audit.record(audit.AuditEvent.Action.EXPORT, actor=staff.username)
    event.actor = "otro"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_retention_purges_old_bodies_and_payloads_but_keeps_the_counts(erin, settings):
    settings.MESSAGE_BODY_RETENTION_MONTHS = 1
    before = Message.objects.filter(cliente=erin, status=Status.SENT).count()
    counts = retention.purge_old_bodies(now=local(2027, 2, 1))
    assert counts["mensajes"] >= 1 and counts["eventos"] == 1
    assert not Message.objects.filter(body__contains="Erin").exists()
    assert Message.objects.filter(cliente=erin, status=Status.SENT).count() == before
    assert DeliveryEvent.objects.get(message__cliente=erin).payload == {}


@pytest.fixture
def administracion(db):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("ana.admin", password="x", is_staff=True)
    codenames = ["view_cliente", "change_cliente", "export_personal_data", "erase_client", "view_auditevent"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


CHANGELIST = "/admin/ventas/cliente/"


def test_staff_with_the_permission_export_a_client_from_the_admin(client, administracion, erin):
    client.force_login(administracion)
    response = client.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": [erin.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("datos.json")
    assert audit.AuditEvent.objects.get(action="export").actor == "ana.admin"


def test_erasure_from_the_admin_asks_for_a_typed_confirmation(client, administracion, erin):
    client.force_login(administracion)
    ask = client.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": [erin.pk]})
    assert ask.status_code == 200 and "BORRAR" in ask.content.decode()
    assert Cliente.objects.get(pk=erin.pk).nombre == "Erin Zúñiga Quiroz"
    client.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": [erin.pk], "confirmar": "BORRAR"})
    assert Cliente.objects.get(pk=erin.pk).nombre == erase.ERASED


def test_without_the_permissions_the_data_rights_actions_are_not_offered(client, erin):
    from django.contrib.auth.models import Permission

    recepcion = get_user_model().objects.create_user("recepcion", password="x", is_staff=True)
    recepcion.user_permissions.set(Permission.objects.filter(codename__in=["view_cliente", "change_cliente"]))
    client.force_login(recepcion)
    page = client.get(CHANGELIST).content.decode()
    assert "export_personal_data" not in page and "erase_personal_data" not in page
    refused = client.post(
        CHANGELIST, {"action": "erase_personal_data", "_selected_action": [erin.pk], "confirmar": "BORRAR"}
    )
    assert Cliente.objects.get(pk=erin.pk).nombre == "Erin Zúñiga Quiroz"
    assert refused.status_code in (200, 302)


def test_the_audit_trail_cannot_be_edited_or_deleted_through_the_admin(client, administracion):
    event = audit.record(audit.AuditEvent.Action.EXPORT, actor="x")
    client.force_login(administracion)
    url = f"/admin/communications/auditevent/{event.pk}/"
    assert client.get(url + "change/").status_code == 200  # read-only view
    client.post(url + "change/", {"actor": "otro"})
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.actor == "x"


def test_edits_that_matter_are_recorded_with_who_made_them_and_scrubbed_on_erasure(client, erin):
    from auditlog.models import LogEntry as ModelChange

    boss = get_user_model().objects.create_superuser("jefa", password="x")
    client.force_login(boss)
    from communications.models import MessageTemplate

    template = MessageTemplate.objects.get(kind="booking_confirmation", channel="sms", variant="")
    response = client.post(
        f"/admin/communications/messagetemplate/{template.pk}/change/",
        {
            "kind": template.kind,
            "channel": template.channel,
            "variant": "",
            "subject": template.subject,
            "body": template.body.replace("Hola", "Hola de nuevo", 1),
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from communications import actions

    actions.update_preferences(erin.pk, {"accepts_birthday_sms": False}, source="admin", actor="jefa")
    from communications.models import ClientPreferences

    prefs = ClientPreferences.objects.get(cliente=erin)
    prefs.email_undeliverable = "erin.zuniga@example.cl"
    prefs.save()
    assert ModelChange.objects.filter(object_repr__contains="Erin").exists()
    edit = ModelChange.objects.get_for_object(template).latest("timestamp")
    assert edit.actor == boss and "body" in edit.changes_dict
    erase.erase_client(erin.pk, actor="jefa")
    assert not ModelChange.objects.filter(object_repr__contains="Erin").exists()
    assert not ModelChange.objects.filter(changes_text__contains="erin.zuniga").exists()


def test_beat_runs_the_retention_purge_daily_and_records_its_run(erin, settings, monkeypatch):
    from django_celery_beat.models import PeriodicTask

    from communications import tasks
    from communications.models import SweepRun
    from communications.routing import route_task

    entry = PeriodicTask.objects.get(task="communications.tasks.purge_message_bodies")
    assert entry.enabled and (entry.interval.every, entry.interval.period) == (24, "hours")
    assert route_task(entry.task, (), {}, {}) == {"queue": "marketing"}  # a long job, off the control queue
    settings.MESSAGE_BODY_RETENTION_MONTHS = 1
    monkeypatch.setattr(retention.timezone, "now", lambda: local(2027, 2, 1))
    counts = tasks.purge_message_bodies.run()
    assert counts["mensajes"] >= 1
    assert not Message.objects.filter(body__contains="Erin").exists()
    assert SweepRun.objects.get(task="purge_message_bodies").ok


def test_only_a_new_opt_in_with_evidence_lifts_the_suppression_of_an_erased_address(erin, staff):
    from communications import actions

    erase.erase_client(erin.pk, actor=staff.username)
    again = new_client(nombre="Erin Z.", email="erin.zuniga@example.cl", telefono="+56991234567")
    actions.set_consent(again.pk, granted=True, channel="sms", scope="marketing", source="admin", actor="x")
    assert api.explain(again, "manual", "sms", custom_text="Hola", now=WED).reason == Reason.SUPPRESSED
    actions.set_consent(
        again.pk, granted=True, channel="sms", scope="marketing", source="api", evidence={"formulario": "alta web"}
    )
    assert api.explain(again, "manual", "sms", custom_text="Hola", now=WED).status != Status.BLOCKED
    # The email address was not opted in again: it stays suppressed.
    assert api.explain(again, "vip_newsletter", "email", now=WED).reason == Reason.SUPPRESSED


def test_the_dashboard_totals_of_what_went_out_are_unchanged_by_an_erasure(erin, other, staff):
    from communications.stats import dashboard, kpis
    from communications.stats.refresh import refresh

    def totals():
        refresh(days=[WED.date()], now=local(2026, 11, 26, 9))
        sums = kpis.total(dashboard.day_rows(WED.date(), WED.date(), None))
        # The erasure cancels the client's pending message (by design): every other counter stays.
        return {k: v for k, v in sums.items() if k != "cancelled" and not k.endswith("_by_reason")}

    before = totals()
    assert before["sent"] >= 2
    erase.erase_client(erin.pk, actor=staff.username)
    assert totals() == before


def test_a_suppression_digest_is_the_keyed_hash_of_the_normalised_address(settings):
    """The keyed HMAC is reused by copy (privacy.suppression._keyed): the value must stay the
    plain HMAC-SHA256 of the key, and a new key must give new digests."""
    import hashlib
    import hmac

    from communications.privacy.suppression import digest

    expected = hmac.new(settings.SUPPRESSION_KEY.encode(), b"email:ana@example.cl", hashlib.sha256).hexdigest()
    assert digest("email", " Ana@Example.CL ") == expected
    assert digest("email", "") == ""

    settings.SUPPRESSION_KEY = "another-key"
    assert digest("email", "ana@example.cl") == hmac.new(b"another-key", b"email:ana@example.cl", "sha256").hexdigest()
