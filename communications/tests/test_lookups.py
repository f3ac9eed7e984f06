"""communications.lookups: ``__any`` matches exactly what ``__in`` matches, as one array on PostgreSQL."""

import uuid

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.models import F, Value
from django.utils import timezone

from communications.models import Message
from ventas.models import Cliente
from ventas.tests.factories import ClienteFactory

pytestmark = pytest.mark.django_db


def MessageFactory(cliente=None):  # noqa: N802 - reads like the factories around it
    cliente = cliente or ClienteFactory()
    return Message.objects.create(
        cliente=cliente,
        channel="email",
        kind="campaign",
        category="marketing",
        status="queued",
        scheduled_for=timezone.now(),
        counts_on=timezone.localdate(),
        idempotency_key=f"lookup:{uuid.uuid4()}",
    )


def both(model, field: str, values) -> tuple[list, list]:
    """The primary keys matched by ``field__in`` and by ``field__any``."""
    match_in = model.objects.filter(**{f"{field}__in": values}).order_by("pk").values_list("pk", flat=True)
    match_any = model.objects.filter(**{f"{field}__any": values}).order_by("pk").values_list("pk", flat=True)
    return list(match_in), list(match_any)


def test_any_matches_what_in_matches_for_ids_foreign_keys_text_and_uuids():
    ana, luis, eva = ClienteFactory.create_batch(3)
    one, two = MessageFactory(cliente=ana), MessageFactory(cliente=luis)
    MessageFactory(cliente=eva)

    for model, field, values in [
        (Cliente, "pk", [ana.pk, eva.pk, 10**9]),
        (Message, "cliente_id", {ana.pk, luis.pk}),
        (Message, "cliente", [luis.pk]),
        (Message, "idempotency_key", [one.idempotency_key, "ninguna", two.idempotency_key]),
        (Message, "public_id", [one.public_id, uuid.uuid4()]),
        (Message, "pk", [one.pk, None]),  # NULL matches nothing either way
    ]:
        matched_in, matched_any = both(model, field, values)
        assert matched_any == matched_in and matched_in, (model, field)


def test_no_values_match_nothing():
    MessageFactory()

    assert both(Message, "pk", []) == ([], [])
    assert both(Message, "pk", [None]) == ([], [])


def test_on_postgresql_the_statement_is_the_same_for_any_number_of_values():
    def sql(n: int) -> str:
        return str(Message.objects.filter(pk__any=list(range(1, n + 1))).query.sql_with_params()[0])

    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql(3)
        assert sql(3) == sql(2000)
    else:  # the test database of a machine without DATABASE_URL: Django's IN
        assert " IN (%s, %s, %s)" in sql(3)


def test_an_expression_among_the_values_keeps_the_in_list():
    cliente = ClienteFactory()
    message = MessageFactory(cliente=cliente)
    queryset = Message.objects.filter(pk__any=[F("pk"), Value(-1)])

    assert " IN (" in str(queryset.query)
    assert list(queryset) == [message]


def test_other_databases_get_djangos_own_in():
    sqlite = SqliteWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
    compiler = Message.objects.filter(pk__any=[1, 2, 3]).query.get_compiler(connection=sqlite)

    sql, params = compiler.as_sql()

    assert " IN (%s, %s, %s)" in sql and list(params) == [1, 2, 3]
