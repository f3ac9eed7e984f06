"""Pending per segment reads the segment stored at decision time, in one GROUP BY without subqueries."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications.gate import request_messages
from communications.models import Message, Status
from communications.pending import pending_by_segment
from communications.tests.helpers import give_visits, local, new_client, req

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def test_pending_messages_are_counted_under_the_segment_the_client_had_when_the_gate_decided():
    cliente = new_client()
    request_messages([req(cliente)], now=NOW)
    decided_as = Message.objects.get().client_segment
    give_visits(cliente, 6, 40_000, days_ago=20)  # the client becomes VIP after the decision

    rows = {r.segment: r for r in pending_by_segment()}

    assert list(rows) == [decided_as]
    assert rows[decided_as].queued == 1


def test_pending_by_segment_is_one_grouped_query_without_subqueries():
    request_messages([req(new_client()), req(new_client())], now=NOW)

    with CaptureQueriesContext(connection) as queries:
        rows = pending_by_segment()

    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "GROUP BY" in sql and sql.count("SELECT") == 1
    assert sum(r.total for r in rows) == 2


def test_messages_decided_before_the_segment_snapshot_are_listed_last_under_a_blank_segment():
    request_messages([req(new_client()), req(new_client())], now=NOW)
    Message.objects.filter(pk=Message.objects.order_by("pk").first().pk).update(client_segment="")

    rows = pending_by_segment()

    assert rows[-1].segment == "" and rows[-1].total == 1
    assert all(r.status in (Status.QUEUED,) for r in Message.objects.all())
