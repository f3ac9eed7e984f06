"""The gate's cap read (gate.counted_per_client): the same rows as the plain filter, and on
PostgreSQL read client by client even when the table's statistics are stale."""

import datetime
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications import gate
from communications.kinds import get_kind
from communications.models import COUNTED_STATUSES, Message, Status
from ventas.models import Cliente

from .helpers import local

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 7)
_numbers = itertools.count(40_000_000)
TODAY = NOW.date()


def seed(clients: int, per_client: int, *, kinds=("campaign", "birthday", "reactivation_email")) -> list[int]:
    """Clients with messages of every status, on days inside and outside the windows."""
    numbers = [next(_numbers) for _ in range(clients)]
    ids = [c.pk for c in Cliente.objects.bulk_create(Cliente(nombre=f"c{n}", telefono=f"+569{n:08d}") for n in numbers)]
    statuses, days = itertools.cycle(Status.values), itertools.cycle(range(0, 120, 7))
    rows = []
    for cid in ids:
        for n in range(per_client):
            channel = "sms" if n % 3 else "email"
            rows.append(
                Message(
                    cliente_id=cid,
                    channel=channel,
                    kind=kinds[n % len(kinds)],
                    category="marketing",
                    status=next(statuses),
                    scheduled_for=NOW,
                    counts_on=TODAY - datetime.timedelta(days=next(days)),
                    idempotency_key=f"usage:{cid}:{n}",
                )
            )
    Message.objects.bulk_create(rows, batch_size=2000)
    return ids


def plain(windows, client_ids) -> list[tuple]:
    """The expected rows, by another route: every counted message of the clients, kept in
    Python when its channel's or its kind's window holds its day (or when there is none)."""
    channels, kinds = windows
    rows = Message.objects.filter(cliente_id__in=client_ids, status__in=COUNTED_STATUSES).order_by()
    return [
        row
        for row in rows.values_list("pk", "cliente_id", "counts_on", "channel", "kind", "category")
        if not (channels or kinds)
        or row[2] >= channels.get(row[3], datetime.date.max)
        or row[2] >= kinds.get(row[4], datetime.date.max)
    ]


def usage_windows() -> tuple[dict, dict]:
    """load_usage's own windows for a campaign and two capped kinds (captured, not rebuilt)."""
    captured = {}
    original = gate.counted_per_client

    def spy(client_ids, channels, kinds):
        captured["windows"] = (channels, kinds)
        return original(client_ids, channels, kinds)

    gate.counted_per_client = spy
    try:
        gate.load_usage([0], [get_kind(k) for k in ("campaign", "birthday", "reactivation_email")], NOW)
    finally:
        gate.counted_per_client = original
    return captured["windows"]


def test_it_reads_the_same_rows_as_the_plain_filter():
    ids = seed(clients=30, per_client=25)
    windows = usage_windows()
    asked = ids[::2] + [10**9]  # every other client, and one unknown id

    rows = gate.counted_per_client(asked, *windows)

    assert sorted(rows) == sorted(plain(windows, asked))
    # Not a comparison of two empty lists: some of the asked clients' rows count, some do not.
    assert 0 < len(rows) < Message.objects.filter(cliente_id__in=asked).count()
    assert gate.counted_per_client([], *windows) == plain(windows, []) == []
    # No window at all: every counted message of the client, as the plain filter reads it.
    assert sorted(gate.counted_per_client(asked, {}, {})) == sorted(plain(({}, {}), asked))


def plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def stale_statistics():
    """Statistics taken when the table was nearly empty, as after a sweep has filled it since."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")


def test_on_postgresql_each_client_is_one_index_descent_even_with_stale_statistics():
    seed(clients=2, per_client=5)
    stale_statistics()
    ids = seed(clients=200, per_client=60)  # 12,000 rows the statistics know nothing of
    windows = usage_windows()
    chunk = ids[:100]

    with CaptureQueriesContext(connection) as ours:
        rows = gate.counted_per_client(chunk, *windows)
    assert sorted(rows) == sorted(plain(windows, chunk))
    if connection.vendor != "postgresql":
        return  # the test database of a machine without DATABASE_URL: the plain filter it is (CI runs the rest)
    with CaptureQueriesContext(connection) as before:
        gate.counted_by_filter(chunk, *windows)  # the read as one filter, as before the fix
    ours_plan = plan(ours.captured_queries[0]["sql"], None)
    before_plan = plan(before.captured_queries[0]["sql"], None)

    # One index descent per client: the only indexes read are keyed by the client first.
    assert "Nested Loop" in ours_plan and "Seq Scan on communications_message" not in ours_plan, ours_plan
    assert "cliente_id = ids.id" in ours_plan
    assert indexes_read(ours_plan) <= {"msg_client_day_usage"}, ours_plan
    # Negative control: the plain filter, under the same statistics, reads a status, kind or
    # day index (or the whole table), which is what made 1M sweeps quadratic.
    trap = indexes_read(before_plan) - {"msg_client_day_usage"}
    assert trap or "Seq Scan on communications_message" in before_plan, before_plan


def indexes_read(text: str) -> set[str]:
    """The indexes a plan reads, except the message table's index on the client alone."""
    names = set(re.findall(r"Index (?:Only )?Scan (?:using|on) (\w+)", text))
    return {name for name in names if not (name.startswith("communications_message_cliente_id_"))}
