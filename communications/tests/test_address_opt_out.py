"""Opt-out belongs to the address, not to one client record (finding M8)."""

import pytest
from django.test import Client

from communications import api, gate, tokens
from communications.models import AddressOptOut, ConsentEvent, Message, Reason, Status
from communications.preferences import unsubscribe_from_marketing_email
from communications.tests.helpers import local, new_client, req

from .conftest import send_email

pytestmark = pytest.mark.django_db

MONDAY = local(2027, 3, 8, 11)
TUESDAY = local(2027, 3, 9, 11)


def test_unsubscribing_a_shared_email_stops_marketing_for_every_client_with_that_address():
    rosa = new_client(nombre="Rosa", email="familia.soto@example.com")
    raul = new_client(nombre="Raúl", email="Familia.Soto@Example.com ")

    unsubscribe_from_marketing_email(rosa.pk, source="one_click", evidence={})

    for person in (rosa, raul):
        outcome = api.explain(person, "vip_newsletter", "email", now=TUESDAY)
        assert (outcome.status, outcome.reason) == ("blocked", Reason.OPTED_OUT), person.nombre
    # The ledger holds the proof per client record.
    assert ConsentEvent.objects.filter(cliente=rosa, granted=False, channel="email", scope="marketing").count() == 1
    shared = ConsentEvent.objects.get(cliente=raul, granted=False)
    assert (shared.channel, shared.scope, shared.source) == ("email", "marketing", "one_click")
    assert shared.evidence == {"direccion_compartida_con_cliente": rosa.pk}
    assert list(AddressOptOut.objects.values_list("channel", "address")) == [("email", "familia.soto@example.com")]


def test_transactional_email_to_the_shared_address_still_goes():
    rosa = new_client(email="familia.soto@example.com")
    raul = new_client(email="familia.soto@example.com")
    unsubscribe_from_marketing_email(rosa.pk, source="one_click", evidence={})
    outcome = api.explain(raul, "satisfaction_followup", "email", now=TUESDAY, context={"servicio": "Tina"})
    assert outcome.status == "queued"


def test_the_other_records_pending_marketing_to_that_address_is_cancelled():
    rosa = new_client(email="familia.soto@example.com")
    raul = new_client(email="familia.soto@example.com")
    pending = gate.request_message(req(raul, channel="email", subject="Hola"), now=local(2027, 3, 8, 22)).message
    assert pending.status == Status.SCHEDULED

    api.opt_out(rosa, channel="email", scope="marketing", source="admin", actor="recepcion")

    pending.refresh_from_db()
    assert (pending.status, pending.reason) == (Status.CANCELLED, Reason.OPTED_OUT)


def test_a_client_record_created_later_with_the_same_address_gets_no_marketing_there():
    rosa = new_client(email="familia.soto@example.com")
    api.opt_out(rosa, channel="email", scope="marketing", source="one_click")
    later = new_client(email="FAMILIA.SOTO@example.com")
    assert api.explain(later, "vip_newsletter", "email", now=TUESDAY).reason == Reason.OPTED_OUT
    # Marketing by SMS to the new record's own phone is unaffected.
    assert api.explain(later, "manual", "sms", now=TUESDAY, custom_text="Hola").status == "queued"


def test_an_sms_opt_out_covers_the_number_as_e164_whatever_way_it_was_typed():
    bruno = new_client(telefono="+56 9 8765 4321")
    api.opt_out(bruno, channel="sms", scope="all", source="sms_keyword")
    assert list(AddressOptOut.objects.values_list("channel", "address")) == [("sms", "+56987654321")]
    # The number moves to a new record (the old one's phone removed): still no marketing to it.
    bruno.telefono = None
    bruno.save()
    heir = new_client(telefono="9 8765 4321")
    outcome = api.explain(heir, "manual", "sms", now=TUESDAY, custom_text="Hola")
    assert (outcome.status, outcome.reason) == ("blocked", Reason.OPTED_OUT)


def test_opting_back_in_to_marketing_lifts_the_address_opt_out_for_that_client_only():
    rosa = new_client(email="familia.soto@example.com")
    raul = new_client(email="familia.soto@example.com")
    api.opt_out(rosa, channel="email", scope="marketing", source="one_click")

    api.opt_in(rosa, channel="email", scope="marketing", source="preference_center")

    assert not AddressOptOut.objects.exists()
    assert api.explain(rosa, "vip_newsletter", "email", now=TUESDAY).status == "queued"
    # Raúl's own record said no when the address did; only he can say yes again.
    assert api.explain(raul, "vip_newsletter", "email", now=TUESDAY).reason == Reason.OPTED_OUT


def test_a_send_already_queued_for_the_other_record_is_cancelled_at_the_last_moment():
    from communications.delivery import recheck

    rosa = new_client(email="familia.soto@example.com")
    raul = new_client(email="familia.soto@example.com")
    queued = gate.request_message(req(raul, channel="email", subject="Hola"), now=MONDAY).message
    AddressOptOut.objects.create(channel="email", address="familia.soto@example.com", cliente=rosa)
    assert recheck(queued, MONDAY) == (Status.CANCELLED, Reason.OPTED_OUT)


def test_the_preference_centre_says_an_opt_out_covers_everyone_sharing_the_address():
    sent = send_email(new_client(), "satisfaction_followup", context={"servicio": "Tina"})
    page = Client().get(f"/c/preferencias/{tokens.make(tokens.PREFERENCES, sent.public_id)}/").content.decode()
    assert "aunque otra persona registrada con nosotros comparta ese correo o ese número" in page
    assert Message.objects.count() == 1


def test_the_opt_out_locks_every_client_record_sharing_the_address_in_one_transaction(monkeypatch):
    from communications import gate as gate_module

    rosa = new_client(email="familia.soto@example.com")
    raul = new_client(email="familia.soto@example.com")
    other = new_client(email="otra@example.com")
    locked = []
    real = gate_module.lock_clients
    monkeypatch.setattr(gate_module, "lock_clients", lambda ids: (locked.append(sorted(ids)), real(ids)))

    api.opt_out(rosa, channel="email", scope="marketing", source="one_click")

    # One lock set: the gate deciding for Raúl waits for the whole opt-out, or runs wholly before it.
    assert locked == [sorted([rosa.pk, raul.pk])]
    assert other.pk not in locked[0]
