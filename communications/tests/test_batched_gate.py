"""The batched gate decides exactly as the single gate, with a bounded number of queries."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from communications.gate import MessageRequest, request_message, request_messages
from communications.tests.helpers import local, message_write_statements, row_writes
from ventas.models import Cliente

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 19, 30)  # late enough that some sends spill into quiet hours


def demo_requests():
    """Several requests per client, so earlier decisions in a batch affect later ones."""
    requests = []
    for cliente_id in Cliente.objects.order_by("pk").values_list("pk", flat=True):
        for n, (kind, channel) in enumerate(
            [
                ("campaign", "sms"),
                ("birthday", None),
                ("campaign", "sms"),
                ("campaign", "email"),
                ("booking_confirmation", None),
                ("campaign", "sms"),
                ("vip_newsletter", None),
            ]
        ):
            requests.append(
                MessageRequest(
                    cliente_id=cliente_id,
                    kind=kind,
                    channel=channel,
                    idempotency_key=f"agree:{cliente_id}:{n}",
                    custom_text="Hola {{ nombre }}",
                    segments=None if kind != "vip_newsletter" else ("vip_high_spend",),
                    context={"fecha": "1", "hora": "2"},
                )
            )
    return requests


def summary(outcomes):
    return [
        (o.request.idempotency_key, o.status, o.reason, o.decision.channel, o.decision.scheduled_for) for o in outcomes
    ]


def test_batched_and_single_gates_agree_on_the_demo_data():
    call_command("seed_demo", "--clients", "150", "--seed", "3", "--today", "2026-11-25")
    requests = demo_requests()
    with transaction.atomic():
        singles = summary([request_message(r, now=NOW) for r in requests])
        transaction.set_rollback(True)
    batched = summary(request_messages(requests, now=NOW, chunk_size=400))
    assert batched == singles
    outcomes = {(status, reason) for _k, status, reason, *_ in batched}
    # The demo data exercises the interesting paths, not only "queued".
    assert {("queued", ""), ("scheduled", "cap_sms_daily"), ("blocked", "no_phone"), ("blocked", "segment")} <= outcomes


def test_queries_per_batch_are_bounded_whatever_its_size():
    call_command("seed_demo", "--clients", "300", "--seed", "5", "--today", "2026-11-25")
    requests = [r for r in demo_requests() if r.kind == "campaign"]
    request_messages(requests[:30], now=NOW)  # some clients already have their limit row
    batch = requests[30:]
    with CaptureQueriesContext(connection) as ctx:
        request_messages(batch, now=NOW + datetime.timedelta(minutes=1), chunk_size=10_000)
    writes = row_writes(ctx.captured_queries, "communications_message")
    others = [q for q in ctx.captured_queries if q["sql"] not in writes]
    # Reads, locks and bookkeeping: a constant number, whatever the batch size (the
    # suppression list and the campaigns' holdout shares are one query each per chunk; the
    # segments are read from the chunk's own bookings by index, apart from the clients).
    assert len(others) <= 17, [q["sql"][:80] for q in others]
    # Message rows: their ids from the sequence, then one COPY, on PostgreSQL.
    assert len(writes) <= message_write_statements(connection, len(batch))
