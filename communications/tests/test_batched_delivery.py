"""Batched delivery (ARCHITECTURE §13): one claim, one consent pass, few provider requests, own outcomes.

SMS go through the real Redvoiss client to the fake Redvoiss, which counts what it
received per message (idCliente); email goes to a real SMTP server on loopback.
"""

import datetime
import threading
import time

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications import batch_delivery, delivery
from communications.gate import request_message
from communications.models import ClientPreferences, Message, Reason, SendBatch, SendingControl, Status
from communications.tests import scripted_backend
from communications.tests.helpers import local, new_client, req
from ventas.models import Cliente

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)
SHARED = "Esta semana 20% en tinas calientes. Reserva en aremko.cl"
PERSONAL = "Hola {{ nombre }}, te esperamos en Aremko Spa."


def queue(cliente, kind="manual", **fields):
    return request_message(req(cliente, kind=kind, **fields), now=WED).message


def drain(now=WED):
    """Run batches of every channel and category until nothing is claimed."""
    reports = []
    for channel in ("sms", "email"):
        for category in ("transactional", "marketing"):
            while True:
                report = batch_delivery.deliver_batch(channel, category, now=now)
                if not report.claimed:
                    break
                reports.append(report)
    return reports


def scenario(fake, tag: str, names=("Ana", "Berta", "Carla")) -> list[Message]:
    """The same mix of messages, for clients whose details depend only on ``tag``'s index in it."""
    base = {"a": 10_000_000, "b": 20_000_000}[tag]
    people = [new_client(nombre=f"{n} Pérez", telefono=f"+569{base + i}") for i, n in enumerate(names)]
    rejected = new_client(nombre="Rita Roja", telefono=f"+569{base + 50}")
    fake.set(reject_numbers=[*fake.switches["reject_numbers"], rejected.telefono])
    moved = new_client(nombre="Mario Mudo", telefono=f"+569{base + 60}")
    quiet = new_client(nombre="Olga Opta", telefono=f"+569{base + 70}")
    messages = [queue(p, custom_text=PERSONAL) for p in people]
    messages += [queue(p, kind="campaign", custom_text=SHARED) for p in people]
    messages += [queue(rejected, kind="campaign", custom_text=SHARED)]
    messages += [queue(moved, custom_text=PERSONAL), queue(quiet, custom_text=PERSONAL)]
    messages += [queue(p, kind="booking_confirmation", context={"fecha": "mañana", "hora": "18:00"}) for p in people]
    messages += [queue(p, channel="email", subject="Novedades", custom_text=PERSONAL) for p in people[:2]]
    # After queuing: a number that is no longer a mobile, and an SMS opt-out written straight to the
    # preferences (the re-check at send time must catch what the gate could not see).
    Cliente.objects.filter(pk=moved.pk).update(telefono=f"+56221234{base // 10_000_000}")
    ClientPreferences.objects.update_or_create(cliente=quiet, defaults={"accepts_sms": False})
    return messages


def in_order(messages):
    by_pk = {m.pk: m for m in Message.objects.filter(pk__in=[x.pk for x in messages])}
    return [by_pk[m.pk] for m in messages]


def comparable(messages):
    """What must agree; an email's body holds its own signed unsubscribe link, so only SMS texts compare."""
    fields = ("status", "reason", "segments", "cost_clp", "channel", "kind", "category")
    return [
        (*(getattr(m, f) for f in fields), m.body if m.channel == "sms" else "", m.destination.startswith("+569"))
        for m in in_order(messages)
    ]


def test_batched_and_one_per_message_paths_leave_the_same_rows_for_the_same_input(redvoiss_settings, fake_redvoiss):
    single = scenario(fake_redvoiss, "a")
    for m in single:
        delivery.deliver(m.pk, now=WED)
    batched = scenario(fake_redvoiss, "b")
    drain()

    assert comparable(single) == comparable(batched)
    # Destinations differ only by the clients' own numbers and addresses.
    for one, other in zip(in_order(single), in_order(batched), strict=True):
        assert bool(one.destination) == bool(other.destination)
    statuses = {m.status for m in in_order(batched)}
    assert statuses == {Status.SENT, Status.FAILED, Status.BLOCKED, Status.CANCELLED}
    reasons = {m.reason for m in in_order(batched) if m.status != Status.SENT}
    assert reasons == {Reason.PROVIDER_REJECTED, Reason.INVALID_PHONE, Reason.OPTED_OUT}


def test_a_shared_text_goes_in_one_request_carrying_each_message_id(redvoiss_settings, fake_redvoiss):
    clients = [new_client() for _ in range(5)]
    messages = [queue(c, kind="campaign", custom_text=SHARED) for c in clients]
    fake_redvoiss.requests.clear()
    [report] = drain()

    sends = [r for r in fake_redvoiss.requests if r["path"].startswith("/send")]
    assert len(sends) == 1 and report.requests == 1 and report.destinations == 5
    details = sends[0]["body"]["message_details"]
    assert sorted(d["idCliente"] for d in details) == sorted(str(m.pk) for m in messages)
    assert sends[0]["body"]["isCommercial"] is True
    assert fake_redvoiss.received == {str(m.pk): 1 for m in messages}
    rows = in_order(messages)
    assert {m.status for m in rows} == {Status.SENT}
    assert len({m.provider_batch_id for m in rows}) == 1
    # Each message is billed on its own row.
    assert all(m.cost_clp == m.segments * 12 for m in rows)


def test_personalised_texts_go_in_one_request_each(redvoiss_settings, fake_redvoiss):
    messages = [queue(new_client(nombre=n), custom_text=PERSONAL) for n in ("Ana", "Berta", "Carla")]
    [report] = drain()
    assert report.requests == 3
    assert fake_redvoiss.received == {str(m.pk): 1 for m in messages}


def test_requests_hold_at_most_the_configured_destinations(redvoiss_settings, fake_redvoiss):
    redvoiss_settings.REDVOISS_MAX_DESTINATIONS = 2
    fake_redvoiss.set(max_destinations=2)
    messages = [queue(new_client(), kind="campaign", custom_text=SHARED) for _ in range(5)]
    [report] = drain()
    assert report.requests == 3
    assert {m.status for m in in_order(messages)} == {Status.SENT}


def test_one_number_twice_in_a_batch_goes_in_two_requests(redvoiss_settings, fake_redvoiss):
    twice = new_client()  # two campaigns with the same text for one client, both within the caps
    messages = [queue(twice, kind="campaign", custom_text=SHARED), queue(twice, kind="campaign", custom_text=SHARED)]
    [report] = drain()
    assert report.requests == 2  # the fake refuses a request naming a destination twice
    assert {m.status for m in in_order(messages)} == {Status.SENT}


def test_a_refused_multi_destination_request_is_retried_once_per_destination(redvoiss_settings, fake_redvoiss):
    bad = new_client()
    good = [new_client() for _ in range(3)]
    fake_redvoiss.set(reject_numbers=[bad.telefono])
    messages = [queue(c, kind="campaign", custom_text=SHARED) for c in [*good, bad]]
    drain()
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT] * 3 + [Status.FAILED]
    assert rows[-1].reason == Reason.PROVIDER_REJECTED and rows[-1].cost_clp == 0
    sends = [r for r in fake_redvoiss.requests if r["path"].startswith("/send")]
    assert [len(r["body"]["message_details"]) for r in sends] == [4, 1, 1, 1, 1]
    assert fake_redvoiss.received == {str(m.pk): 1 for m in rows[:3]}


def test_a_timeout_on_a_multi_destination_request_makes_all_of_them_unknown(redvoiss_settings, fake_redvoiss):
    redvoiss_settings.REDVOISS_READ_TIMEOUT = 0.3
    fake_redvoiss.set(slow_seconds=1.0)
    messages = [queue(new_client(), kind="campaign", custom_text=SHARED) for _ in range(3)]
    drain()
    rows = in_order(messages)
    assert {(m.status, m.reason) for m in rows} == {(Status.UNKNOWN, Reason.PROVIDER_AMBIGUOUS)}
    # Never resent: nothing is claimable any more.
    assert drain(now=WED + datetime.timedelta(hours=1)) == []
    assert fake_redvoiss.received == {str(m.pk): 1 for m in rows}


def test_the_pausar_marketing_switch_holds_marketing_and_lets_transactional_through(redvoiss_settings):
    SendingControl.objects.create(pk=1, marketing_paused=True)
    promo = queue(new_client(), custom_text=PERSONAL)
    confirmation = queue(new_client(), kind="booking_confirmation", context={"fecha": "hoy", "hora": "18:00"})
    drain()
    assert Message.objects.get(pk=promo.pk).status == Status.QUEUED
    assert Message.objects.get(pk=confirmation.pk).status == Status.SENT

    SendingControl.objects.filter(pk=1).update(marketing_paused=False)
    drain()
    assert Message.objects.get(pk=promo.pk).status == Status.SENT


def test_each_batch_is_recorded_with_its_requests_and_outcomes(redvoiss_settings, fake_redvoiss):
    bad = new_client()
    fake_redvoiss.set(reject_numbers=[bad.telefono])
    messages = [queue(c, kind="campaign", custom_text=SHARED) for c in [new_client(), new_client(), bad]]
    [report] = drain()
    batch = SendBatch.objects.get(pk=report.batch_id)
    assert (batch.channel, batch.category, batch.claimed) == ("sms", "marketing", 3)
    assert batch.requests == 1 and batch.destinations == 2
    assert batch.outcomes == {"sent": 2, "failed": 1}
    assert set(batch.messages.values_list("pk", flat=True)) == {m.pk for m in messages}


def test_a_batch_claim_takes_at_most_the_batch_size_in_due_order(settings):
    settings.SEND_BATCH_SIZE = 2
    messages = [queue(new_client(), custom_text=PERSONAL) for _ in range(3)]
    report = batch_delivery.deliver_batch("sms", "marketing", now=WED)
    assert report.claimed == 2 and report.full
    assert [m.status for m in in_order(messages)] == [Status.SENT, Status.SENT, Status.QUEUED]


def test_the_consent_recheck_costs_the_same_queries_for_ten_or_forty_messages(settings):
    def queries_for(n):
        for _ in range(n):
            queue(new_client(), kind="campaign", custom_text=SHARED)
        ctx = CaptureQueriesContext(connection)
        with ctx:
            batch_delivery.deliver_batch("sms", "marketing", now=WED)
        return len([q for q in ctx.captured_queries if "ventas_cliente" in q["sql"]])

    assert queries_for(10) == queries_for(40)


def test_emails_of_a_batch_share_one_smtp_connection(smtp_server, settings):
    settings.EMAIL_MARK_CHUNK = 3  # two chunks, marked and recorded apart: still one connection
    messages = [
        queue(new_client(), channel="email", subject="Novedades", custom_text=PERSONAL, kind="campaign")
        for _ in range(4)
    ]
    peers = []
    original = type(smtp_server).handle_DATA

    async def handle_data(self, server, session, envelope):
        peers.append(session.peer)
        return await original(self, server, session, envelope)

    type(smtp_server).handle_DATA = handle_data
    try:
        [report] = drain()
    finally:
        type(smtp_server).handle_DATA = original
    assert report.outcomes == {"sent": 4}
    assert len(smtp_server.received) == 4 and len(set(peers)) == 1
    assert {m.status for m in in_order(messages)} == {Status.SENT}


def test_per_row_values_reach_only_their_rows_whatever_they_hold():
    """The one-UPDATE outcome write binds each row's values as parameters: quotes, percent
    signs, line breaks and NULL arrive as given, and a row not listed keeps its own."""
    rows = [queue(new_client(), custom_text=PERSONAL) for _ in range(3)]
    bystander = queue(new_client(), custom_text=PERSONAL)
    Message.objects.filter(pk=bystander.pk).update(body="sin cambios", segments=7)
    texts = ['it\'s 100% "quoted" %s; --', "ñandú 🌿\nsegunda línea", ""]
    pairs = [(m, None) for m in rows]

    Message.objects.filter(pk__in=[m.pk for m in [*rows, bystander]]).update(
        body=batch_delivery.per_row(pairs, texts, "body"),
        segments=batch_delivery.per_row(pairs, [1, None, 3], "segments"),
    )

    after = in_order([*rows, bystander])
    assert [m.body for m in after] == [*texts, "sin cambios"]
    assert [m.segments for m in after] == [1, None, 3, 7]


def test_one_refused_address_does_not_fail_the_rest_of_the_email_batch(smtp_server):
    bad = new_client(email="nadie@example.cl")
    smtp_server.refuse["nadie@example.cl"] = "550 5.1.1 User unknown"
    clients = [new_client(), bad, new_client()]
    messages = [queue(c, channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for c in clients]
    drain()
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT, Status.FAILED, Status.SENT]
    assert rows[1].reason == Reason.EMAIL_UNDELIVERABLE


def received_ids(smtp_server) -> dict[str, str]:
    """Message-ID of what the server accepted, per recipient."""
    return {m["To"]: m["Message-ID"].strip("<>") for m in smtp_server.parsed()}


def test_each_answer_to_an_emails_data_is_its_own_though_read_after_the_next_is_composed(smtp_server):
    """The server's answer to one email's data is read once the next one is ready: a refusal
    still lands on the email it was about, and each accepted row keeps its own Message-ID."""
    clients = [new_client(email=f"c{i}@example.cl") for i in range(4)]
    smtp_server.refuse_data["c1@example.cl"] = "554 5.7.1 Message rejected as spam"
    messages = [queue(c, channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for c in clients]
    [report] = drain()
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT, Status.FAILED, Status.SENT, Status.SENT]
    assert rows[1].reason == Reason.PROVIDER_REJECTED and "554" in rows[1].reason_detail
    accepted = received_ids(smtp_server)
    assert sorted(accepted) == ["c0@example.cl", "c2@example.cl", "c3@example.cl"]
    assert all(accepted[m.destination] == m.provider_message_id.strip("<>") for m in rows if m.status == Status.SENT)
    assert report.outcomes == {"sent": 3, "failed": 1}


def test_an_email_whose_answer_never_comes_is_unknown_and_the_next_goes_on_a_new_connection(smtp_server, settings):
    settings.EMAIL_TIMEOUT = 0.5
    clients = [new_client(email=f"t{i}@example.cl") for i in range(3)]
    smtp_server.stall["t1@example.cl"] = 1.5  # the data arrived; its answer comes too late
    messages = [queue(c, channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for c in clients]
    drain()
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT, Status.UNKNOWN, Status.SENT]  # never sent twice
    assert rows[1].reason == Reason.PROVIDER_AMBIGUOUS
    assert sorted(received_ids(smtp_server)) == ["t0@example.cl", "t2@example.cl"]


@pytest.mark.parametrize("answering", ["refuse", "refuse_data"])  # the recipient, or its data
def test_a_server_closing_the_session_with_421_costs_one_retry_not_an_unknown(smtp_server, answering):
    """smtplib closes the session on a 421; the next email opens a new one instead of failing
    on the closed one (which would look like a dropped connection: "unknown")."""
    clients = [new_client(email=f"r{i}@example.cl") for i in range(3)]
    getattr(smtp_server, answering)["r1@example.cl"] = "421 4.7.0 Too many messages, closing connection"
    messages = [queue(c, channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for c in clients]
    [report] = drain()
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT, Status.SENDING, Status.SENT]
    assert rows[1].provider_call_started_at is None and rows[1].reason_detail.startswith("retry:")
    assert report.outcomes == {"sent": 2, "retry": 1}
    assert sorted(received_ids(smtp_server)) == ["r0@example.cl", "r2@example.cl"]


def test_lines_starting_with_a_dot_arrive_as_written(smtp_server):
    text = ".\n.punto inicial\n..dos puntos\nfin."
    message = queue(new_client(), channel="email", subject="Hola", custom_text=text, kind="campaign")
    drain()
    assert in_order([message])[0].status == Status.SENT
    [received] = smtp_server.parsed()
    plain = received.get_body(("plain",)).get_content()
    assert ".\n.punto inicial\n..dos puntos\nfin." in plain.replace("\r\n", "\n")


def test_a_misconfigured_email_backend_mid_batch_holds_every_unsent_message_unmarked(smtp_server, settings):
    settings.EMAIL_MARK_CHUNK = 2
    messages = [
        queue(new_client(), channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for _ in range(5)
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True  # Django refuses both: a configuration error

    report = batch_delivery.deliver_batch("email", "marketing", now=WED)

    assert report.outcomes == {"paused": 5} and report.requests == 1  # one attempt, then nothing more tried
    assert smtp_server.received == []
    rows = in_order(messages)
    assert {m.status for m in rows} == {Status.SENDING}
    assert all(m.provider_call_started_at is None and m.attempts == 0 for m in rows)  # held, never "unknown"
    assert {m.reason for m in rows} == {Reason.PROVIDER_MISCONFIGURED}


class WorkerKilled(BaseException):
    """Stands for SIGKILL in the middle of a provider request."""


def test_a_crash_during_one_request_leaves_its_rows_unknown_and_sends_the_untouched_ones_normally(settings):
    settings.SMS_BACKEND = "communications.tests.scripted_backend.SmsBackend"
    settings.SEND_BATCH_CONCURRENCY = 1
    settings.MESSAGE_LEASE_SECONDS = 60
    scripted_backend.script[:] = ["ok", WorkerKilled()]
    scripted_backend.calls.clear()
    messages = [queue(new_client(nombre=n), custom_text=PERSONAL) for n in ("Ana", "Berta", "Carla")]
    with pytest.raises(WorkerKilled):
        batch_delivery.deliver_batch("sms", "marketing", now=WED)

    # After the batch's lease: the untouched row is claimable again, the marked one is not.
    later = WED + datetime.timedelta(days=1)
    drain(now=later)
    rows = in_order(messages)
    assert [m.status for m in rows] == [Status.SENT, Status.UNKNOWN, Status.SENT]
    assert rows[1].reason == Reason.INTERRUPTED
    sent_refs = [c.reference for c in scripted_backend.calls]
    assert sorted(sent_refs) == sorted(str(m.pk) for m in rows)  # each asked of the provider exactly once


class CrashingEmailBackend(BaseEmailBackend):
    """Accepts every email, except that a WorkerKilled is raised for one address."""

    crash_for: set = set()
    accepted: list = []

    def send_messages(self, messages):
        for email in messages:
            if email.to[0] in self.crash_for:
                raise WorkerKilled()
            self.accepted.append(email.to[0])
        return len(messages)


def test_a_crash_on_the_email_sending_thread_is_raised_once_the_outcomes_before_it_are_recorded(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CrashingEmailBackend"
    settings.EMAIL_MARK_CHUNK = 2
    clients = [new_client(email=f"k{i}@example.cl") for i in range(4)]
    CrashingEmailBackend.crash_for, CrashingEmailBackend.accepted = {"k1@example.cl"}, []
    messages = [queue(c, channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for c in clients]

    with pytest.raises(WorkerKilled):
        batch_delivery.deliver_batch("email", "marketing", now=WED)

    assert not [t for t in threading.enumerate() if t.name == "email-batch-sender"]  # the thread ended
    rows = in_order(messages)
    assert rows[0].status == Status.SENT  # accepted before the crash: recorded, not left "unknown"
    # The crash's own email, and the next chunk (marked ahead, never written): marks kept.
    assert all(m.status == Status.SENDING and m.provider_call_started_at for m in rows[1:])
    drain(now=WED + datetime.timedelta(days=1))
    assert [m.status for m in in_order(messages)] == [Status.SENT] + [Status.UNKNOWN] * 3
    assert CrashingEmailBackend.accepted == ["k0@example.cl"]  # nothing sent twice, nothing sent blind


class SlowEmailBackend(BaseEmailBackend):
    """Accepts every email, slowly: the batch composes and marks as far ahead as it may."""

    accepted: list = []

    def send_messages(self, messages):
        time.sleep(0.005)
        self.accepted.extend(email.to[0] for email in messages)
        return len(messages)


def test_emails_marked_but_not_yet_at_the_server_never_exceed_two_chunks(settings, monkeypatch):
    """What a worker killed mid-batch could leave "unknown" without its having been sent: the
    batch runs one chunk ahead of the SMTP thread (marked and composed), never two."""
    settings.EMAIL_BACKEND = f"{__name__}.SlowEmailBackend"
    settings.EMAIL_MARK_CHUNK = 3
    SlowEmailBackend.accepted = []
    messages = [
        queue(new_client(), channel="email", subject="Hola", custom_text=PERSONAL, kind="campaign") for _ in range(24)
    ]
    marked, exposure = [0], []
    original = batch_delivery.mark_calls_started

    def mark(chunk, token, now):
        done = original(chunk, token, now)
        marked[0] += len(done)
        exposure.append(marked[0] - len(SlowEmailBackend.accepted))
        return done

    monkeypatch.setattr(batch_delivery, "mark_calls_started", mark)
    drain()
    assert {m.status for m in in_order(messages)} == {Status.SENT}
    # Ahead by more than one chunk (the measure sees it), never by more than two.
    assert 3 < max(exposure) <= 2 * 3, exposure


def test_staff_see_batches_and_their_messages_and_pause_marketing_in_the_admin(admin_client, redvoiss_settings):
    message = queue(new_client(), kind="campaign", custom_text=SHARED)
    [report] = drain()
    page = admin_client.get("/admin/communications/sendbatch/").content.decode()
    assert "Enviado: 1" in page and f"?send_batch={report.batch_id}" in page
    listed = admin_client.get(f"/admin/communications/message/?send_batch={report.batch_id}")
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == [Message.objects.get(pk=message.pk)]

    answer = admin_client.post("/admin/communications/sendingcontrol/add/", {"marketing_paused": "on"})
    assert answer.status_code == 302
    assert SendingControl.marketing_is_paused()


def test_the_pausar_marketing_switch_also_holds_the_one_message_path(settings):
    SendingControl.objects.create(pk=1, marketing_paused=True)
    promo = queue(new_client(), custom_text=PERSONAL)
    assert delivery.deliver(promo.pk, now=WED).outcome == "not_claimed"
    assert Message.objects.get(pk=promo.pk).status == Status.QUEUED
