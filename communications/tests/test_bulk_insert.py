"""communications.bulk_insert: COPY on PostgreSQL writes what bulk_create writes, value for value."""

import datetime
import uuid
import warnings

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from communications import bulk_insert
from communications.models import Message, Reason, Status
from ventas.tests.factories import ClienteFactory

pytestmark = pytest.mark.django_db

AWARE = datetime.datetime(2026, 4, 5, 2, 30, tzinfo=datetime.UTC)  # Santiago's autumn DST change
# Tabs, line breaks, backslashes and quotes are what COPY's text format escapes.
AWKWARD = "tab\there\nnew line \\N \\ backslash, \"quotes\" 'single' %s ñandú 🌿\r\x0b"


def messages(cliente, tag: str) -> list[Message]:
    common = {
        "cliente_id": cliente.pk,
        "channel": "email",
        "kind": "campaign",
        "category": "marketing",
        "scheduled_for": AWARE,
        "counts_on": datetime.date(2024, 2, 29),
        "created_at": AWARE,
    }
    return [
        Message(**common, idempotency_key=f"{tag}:plain", status=Status.QUEUED, queued_at=AWARE),
        Message(
            **common,
            idempotency_key=f"{tag}:awkward",
            status=Status.BLOCKED,  # a TextChoices member, not a str
            reason=Reason.SEGMENT,
            reason_detail=gettext_lazy("segmento"),  # a lazy translation, not a str
            custom_text=AWKWARD,
            subject=AWKWARD[:200],
            context={"nombre": AWKWARD, "n": [1, 2.5, None, True], "nested": {"a": {"b": "ü"}}},
            segment_rule=["vip", "nuevo"],
            claim_token=uuid.UUID(int=7),
            expires_at=AWARE + datetime.timedelta(days=30),
            attempts=3,
            cost_clp=0,
            machine_open=True,
        ),
        Message(
            **{**common, "scheduled_for": datetime.datetime(2026, 9, 6, 0, 30)},  # naive: made aware, as Django does
            idempotency_key=f"{tag}:naive",
            status="scheduled",
            segment_rule=[],
            context={},
        ),
    ]


def stored(objs) -> list[dict]:
    skip = {"id", "idempotency_key", "public_id"}
    rows = Message.objects.filter(pk__in=[o.pk for o in objs]).order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in skip} for row in rows]


def test_copy_writes_exactly_what_bulk_create_writes():
    cliente = ClienteFactory()
    with warnings.catch_warnings(record=True) as django_warned, timezone.override("America/Santiago"):
        warnings.simplefilter("always")
        by_django = Message.objects.bulk_create(messages(cliente, "django"))
    with warnings.catch_warnings(record=True) as copy_warned, timezone.override("America/Santiago"):
        warnings.simplefilter("always")
        copied = messages(cliente, "copy")
        bulk_insert.insert(Message, copied)

    assert all(m.pk and not m._state.adding and m._state.db == "default" for m in copied)
    assert stored(copied) == stored(by_django)
    assert stored(copied)[1]["custom_text"] == AWKWARD
    assert [str(w.message) for w in copy_warned] == [str(w.message) for w in django_warned] != []
    assert len({m.pk for m in [*by_django, *copied]}) == 6


def test_a_duplicate_key_raises_integrity_error_and_leaves_no_ids_behind():
    cliente = ClienteFactory()
    bulk_insert.insert(Message, messages(cliente, "first")[:1])
    again = messages(cliente, "first")[:2]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert.insert(Message, again)
    assert [m.pk for m in again] == [None, None]
    assert Message.objects.filter(idempotency_key__startswith="first:").count() == 1


def test_rows_with_their_own_ids_go_through_bulk_create(django_assert_num_queries):
    cliente = ClienteFactory()
    [own] = messages(cliente, "own")[:1]
    own.pk = 987_654
    with django_assert_num_queries(1):  # one INSERT, no sequence read, no COPY
        bulk_insert.insert(Message, [own])
    assert Message.objects.get(pk=987_654).idempotency_key == "own:plain"
