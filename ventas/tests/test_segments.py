import itertools

import pytest

from ventas.models import Cliente
from ventas.segments import SEGMENTS, segment_for, segments_of
from ventas.tests.factories import ClienteFactory, give_visits

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "visits, spend, segment",
    [
        (0, 0, "zero_spend"),
        (1, 0, "zero_spend"),
        (1, 49_999, "new_low_spend"),
        (1, 50_000, "new_medium_spend"),
        (1, 149_999, "new_medium_spend"),
        (1, 150_000, "new_high_spend"),
        (2, 49_999, "regular_low_spend"),
        (5, 149_999, "regular_medium_spend"),
        (5, 150_000, "regular_high_spend"),
        (6, 49_999, "vip_low_spend"),
        (6, 150_000, "vip_high_spend"),
    ],
)
def test_segment_thresholds_in_python(visits, spend, segment):
    assert segment_for(visits, spend) == segment


@pytest.mark.parametrize("visits, spend_each", [(1, 49_999), (1, 50_000), (2, 75_000), (5, 29_999), (6, 25_000)])
def test_sql_segments_agree_with_python_at_the_edges(visits, spend_each):
    cliente = ClienteFactory()
    give_visits(cliente, visits, spend_each)
    annotated = Cliente.objects.with_segments().get(pk=cliente.pk)
    assert annotated.paid_visits == visits
    assert annotated.total_spend == visits * spend_each
    assert annotated.segment == segment_for(visits, visits * spend_each)


def test_cancelled_and_pending_bookings_are_not_visits():
    cliente = ClienteFactory()
    give_visits(cliente, 3, 80_000, estado="cancelado")
    give_visits(cliente, 2, 80_000, estado="pendiente")
    annotated = Cliente.objects.with_segments().get(pk=cliente.pk)
    assert (annotated.paid_visits, annotated.segment) == (0, "zero_spend")


def test_partly_paid_bookings_count_as_visits_with_what_was_paid():
    cliente = ClienteFactory()
    give_visits(cliente, 6, 100_000, estado="parcial")
    annotated = Cliente.objects.with_segments().get(pk=cliente.pk)
    assert (annotated.paid_visits, annotated.total_spend, annotated.segment) == (6, 300_000, "vip_high_spend")


def test_every_segment_is_computed_for_all_clients_in_one_query(django_assert_num_queries):
    grid = list(itertools.product([0, 1, 2, 6], [10_000, 60_000, 160_000]))
    for visits, spend in grid:
        give_visits(ClienteFactory(), visits, spend // max(visits, 1) + 1)
    with django_assert_num_queries(1):
        rows = list(Cliente.objects.with_segments().values_list("paid_visits", "total_spend", "segment"))
    assert len(rows) == len(grid)
    assert all(segment == segment_for(v, s) for v, s, segment in rows)
    assert {segment for *_, segment in rows} <= set(SEGMENTS)


def test_in_segments_filters_by_segment_name():
    vip = ClienteFactory()
    give_visits(vip, 6, 30_000)
    newbie = ClienteFactory()
    give_visits(newbie, 1, 10_000)
    assert list(Cliente.objects.in_segments("vip_high_spend")) == [vip]
    assert list(Cliente.objects.in_segments("new_low_spend", "zero_spend")) == [newbie]


def test_segments_of_some_clients_agree_with_the_sql_annotation(django_assert_num_queries):
    grid = list(itertools.product([0, 1, 2, 6], [10_000, 60_000, 160_000]))
    clients = []
    for visits, spend in grid:
        cliente = ClienteFactory()
        give_visits(cliente, visits, spend // max(visits, 1) + 1)
        give_visits(cliente, 1, 500_000, estado="cancelado")
        clients.append(cliente)
    ClienteFactory()  # not asked about: left out
    asked = [c.pk for c in clients]
    with django_assert_num_queries(1):
        found = segments_of(asked)
    expected = dict(Cliente.objects.filter(pk__in=asked).with_segments().values_list("pk", "segment"))
    assert found == expected
    assert "zero_spend" in found.values() and "vip_high_spend" in found.values()
