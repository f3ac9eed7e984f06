"""The rollup equals a recount of the message table, adds up, and a second refresh changes nothing."""

import datetime
import io
import itertools

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from communications.models import ConsentEvent, DailyStat, DeliveryEvent, Message, Reason, Status
from communications.stats.queries import dashboard_figures, raw_totals
from communications.stats.refresh import refresh
from communications.stats.rollup import DEFERRAL_REASONS
from communications.tests.helpers import local, new_client
from ventas.models import VentaReserva
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 12)
DAYS = [datetime.date(2026, 11, 23), datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)]
_keys = itertools.count()

message_spec = st.fixed_dictionaries(
    {
        "client": st.integers(0, 2),
        "channel": st.sampled_from(["sms", "email"]),
        "kind": st.sampled_from(["reactivation_sms", "vip_newsletter", "booking_confirmation", "campaign"]),
        "status": st.sampled_from(list(Status)),
        "reason": st.sampled_from(["", Reason.OPTED_OUT, Reason.CAP_KIND, Reason.STAFF_CANCELLED, Reason.HOLDOUT]),
        "first": st.sampled_from(
            [("queued", ""), ("scheduled", "quiet_hours"), ("scheduled", "cap_sms_daily"), ("blocked", "holdout")]
        ),
        "segment": st.sampled_from(["", "new_low_spend", "vip_high_spend"]),
        "campaign": st.booleans(),
        "day": st.integers(0, 2),
        "hour": st.integers(9, 19),
        "sent": st.booleans(),
        "delivered_hours": st.none() | st.integers(0, 80),
        "opened": st.sampled_from([None, "human", "machine"]),
        "clicked": st.booleans(),
        "replied": st.booleans(),
        "cost": st.none() | st.integers(0, 36),
        "events": st.sets(st.sampled_from(["bounce", "complaint", "opt_out"])),
    }
)
booking_spec = st.tuples(st.integers(0, 2), st.integers(0, 3 * 24), st.sampled_from(["pagado", "parcial", "cancelado"]))


def build_history(specs, bookings, clients, campaign):
    Message.objects.all().delete()
    VentaReserva.objects.filter(cliente__in=clients).delete()
    DailyStat.objects.all().delete()
    for spec in specs:
        created = local(2026, 11, 23 + spec["day"], spec["hour"])
        delivered = (
            created + datetime.timedelta(hours=spec["delivered_hours"]) if spec["delivered_hours"] is not None else None
        )
        m = Message.objects.create(
            cliente=clients[spec["client"]],
            channel=spec["channel"],
            kind=spec["kind"],
            category="transactional" if spec["kind"] == "booking_confirmation" else "marketing",
            idempotency_key=f"prop:{next(_keys)}",
            campaign=campaign if spec["campaign"] else None,
            status=spec["status"],
            reason=spec["reason"],
            first_status=spec["first"][0],
            first_reason=spec["first"][1],
            client_segment=spec["segment"],
            scheduled_for=created,
            counts_on=DAYS[spec["day"]],
            created_at=created,
            sent_at=created if spec["sent"] else None,
            delivered_at=delivered,
            opened_at=created + datetime.timedelta(minutes=5) if spec["opened"] else None,
            machine_open=spec["opened"] == "machine",
            clicked_at=created + datetime.timedelta(minutes=7) if spec["clicked"] else None,
            replied_at=created if spec["replied"] else None,
            cost_clp=spec["cost"],
        )
        for event in spec["events"]:
            if event == "opt_out":
                ConsentEvent.objects.create(
                    cliente_id=m.cliente_id,
                    channel=m.channel,
                    scope="marketing",
                    granted=False,
                    source="api",
                    message=m,
                )
            else:
                DeliveryEvent.objects.create(message=m, provider="t", event_type=event, dedupe_key=f"{event}:{m.pk}")
    for client, hours, estado in bookings:
        VentaReserva.objects.create(
            cliente=clients[client],
            fecha_creacion=local(2026, 11, 23, 9) + datetime.timedelta(hours=hours),
            total=30_000,
            pagado=30_000 if estado != "cancelado" else 0,
            estado_pago=estado,
        )


def recount(per_1000):
    """An independent, row-by-row recount of every bucket from the message table."""
    buckets = {}
    bounced = set(DeliveryEvent.objects.filter(event_type="bounce").values_list("message_id", flat=True))
    complained = set(DeliveryEvent.objects.filter(event_type="complaint").values_list("message_id", flat=True))
    opted = set(ConsentEvent.objects.filter(granted=False).values_list("message_id", flat=True))
    for m in Message.objects.all():
        key = (m.counts_on, m.channel, m.kind, m.client_segment, m.campaign_id or 0)
        b = buckets.setdefault(key, {"blocked_by_reason": {}, "deferred_by_reason": {}, "cancelled_by_reason": {}})

        def add(name, n=1, b=b):
            b[name] = b.get(name, 0) + n

        add("requested")
        add("blocked", m.status == "blocked")
        add("cancelled", m.status == "cancelled")
        add("expired", m.status == "expired")
        add("pending", m.status in ("scheduled", "queued", "sending"))
        add("handed", m.status in ("sent", "unknown", "delivered", "failed"))
        add("sent", m.sent_at is not None)
        if m.channel == "sms":
            add("delivered", m.status == "delivered")
        else:
            add("delivered", m.sent_at is not None and m.pk not in bounced)
        add("failed", m.status == "failed")
        add("unknown", m.status == "unknown")
        add("opens", m.opened_at is not None and not m.machine_open)
        add("clicks", m.clicked_at is not None)
        add("replies", m.replied_at is not None)
        add("opt_outs", m.pk in opted)
        add("complaints", m.pk in complained)
        add("bounces", m.pk in bounced)
        add("conversions", m.converted_at is not None)
        add("revenue_clp", m.conversion_revenue_clp or 0)
        add("sms_cost", (m.cost_clp or 0) if m.channel == "sms" else 0)
        deferred = m.first_status == "scheduled" and m.first_reason in DEFERRAL_REASONS
        add("deferred", deferred)
        if deferred:
            b["deferred_by_reason"][m.first_reason] = b["deferred_by_reason"].get(m.first_reason, 0) + 1
        if m.status in ("blocked", "cancelled"):
            d = b[f"{m.status}_by_reason"]
            d[m.reason or "-"] = d.get(m.reason or "-", 0) + 1
    for (_day, channel, *_), b in buckets.items():
        sms_cost = b.pop("sms_cost")
        b["cost_clp"] = round(b["sent"] * per_1000 / 1000) if channel == "email" else sms_cost
    return buckets


def stored():
    fields = [f.name for f in DailyStat._meta.fields if f.name not in ("id", "refreshed_at")]
    out = {}
    for row in DailyStat.objects.values(*fields):
        key = (row.pop("day"), row.pop("channel"), row.pop("kind"), row.pop("segment"), row.pop("campaign_id"))
        out[key] = row
    return out


@pytest.fixture
def population():
    return [new_client() for _ in range(3)], CampaignFactory()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(message_spec, max_size=25), bookings=st.lists(booking_spec, max_size=4))
def test_after_any_history_the_rollup_equals_a_recount_and_refreshing_twice_changes_nothing(
    population, settings, specs, bookings
):
    settings.EMAIL_COST_PER_1000_CLP = 700
    clients, campaign = population
    build_history(specs, bookings, clients, campaign)
    refresh(DAYS, now=NOW)
    first = stored()
    expected = recount(700)
    assert first.keys() == expected.keys()
    for key, counters in expected.items():
        assert {k: first[key][k] for k in counters} == counters, key
        row = first[key]
        assert row["requested"] == row["blocked"] + row["cancelled"] + row["expired"] + row["pending"] + row["handed"]
    messages_before = list(Message.objects.order_by("pk").values())
    refresh(DAYS, now=NOW)
    assert stored() == first
    assert list(Message.objects.order_by("pk").values()) == messages_before
    totals = dashboard_figures(DAYS[0], DAYS[-1])["totals"]
    # Email cost rounds per bucket in the rollup and per channel in the raw figures.
    assert {k: v for k, v in totals.items() if k != "cost_clp"} == {
        k: v for k, v in raw_totals(DAYS[0], DAYS[-1]).items() if k != "cost_clp"
    }


def test_a_day_that_lost_all_its_messages_loses_its_buckets(population):
    clients, _ = population
    build_history([], [], clients, None)
    DailyStat.objects.create(day=DAYS[0], channel="sms", kind="birthday", requested=3)
    refresh(DAYS, now=NOW)
    assert not DailyStat.objects.exists()


def test_refresh_stats_command_rebuilds_the_last_days_in_spanish(population):
    import time_machine

    clients, _ = population
    Message.objects.create(
        cliente=clients[0],
        channel="sms",
        kind="birthday",
        category="marketing",
        idempotency_key="cmd:1",
        status=Status.DELIVERED,
        first_status="queued",
        scheduled_for=NOW,
        counts_on=DAYS[-1],
        created_at=NOW,
        sent_at=NOW,
        delivered_at=NOW,
        cost_clp=12,
    )
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("refresh_stats", "--days", "3", stdout=out)
    assert "Estadísticas recalculadas" in out.getvalue()
    stat = DailyStat.objects.get()
    assert (stat.day, stat.delivered, stat.cost_clp) == (DAYS[-1], 1, 12)


def test_the_beat_tasks_are_scheduled_and_recorded():
    from django_celery_beat.models import PeriodicTask

    from communications import tasks
    from communications.models import SweepRun

    names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"communications.tasks.refresh_stats", "communications.tasks.refresh_stats_nightly"} <= names
    tasks.refresh_stats()
    assert SweepRun.objects.get(task="refresh_stats").ok is True
