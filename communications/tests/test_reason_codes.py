"""Every reason code is produced by a real scenario, so staff can always see why."""

import datetime

import pytest

from communications import actions, api, delivery
from communications.channels.errors import AmbiguousError, ConfigurationError, PermanentError, TransientError
from communications.gate import request_message, request_messages
from communications.models import ClientPreferences, Message, Reason
from communications.tests import scripted_backend
from communications.tests.helpers import client_without_phone, local, new_client, req, vip_client
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)


def gate(cliente, **fields):
    return request_message(req(cliente, **fields), now=WED).reason


def after_delivery(error, settings):
    settings.SMS_BACKEND = "communications.tests.scripted_backend.SmsBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 1
    scripted_backend.script[:] = [error]
    from django.core.cache import cache

    cache.clear()
    message = request_message(req(new_client()), now=WED).message
    delivery.deliver(message.pk, now=WED)
    message.refresh_from_db()
    return message.reason


def cancelled_with(reason):
    message = request_message(req(new_client()), now=WED).message
    actions.cancel_messages(Message.objects.filter(pk=message.pk), reason)
    message.refresh_from_db()
    return message.reason


def full_day(cliente):
    request_messages([req(cliente), req(cliente)], now=WED)
    return cliente


def send_time_moved(settings):
    from communications.insights.models import ClientInsight

    settings.SEND_TIME_EXPLORATION_SHARE = 0.0
    cliente = new_client()
    ClientInsight.objects.create(cliente=cliente, best_hour=16)
    return gate(cliente, kind="vip_newsletter", channel="email")


SCENARIOS = {
    Reason.OPTED_OUT: lambda s: (lambda c: (api.opt_out(c, channel="sms"), gate(c))[1])(new_client()),
    Reason.NO_PHONE: lambda s: gate(client_without_phone()),
    Reason.INVALID_PHONE: lambda s: gate(new_client(telefono="1234")),
    Reason.NO_EMAIL: lambda s: gate(new_client(email=""), channel="email"),
    Reason.INVALID_EMAIL: lambda s: gate(new_client(email="ana@"), channel="email"),
    Reason.EMAIL_UNDELIVERABLE: lambda s: (
        lambda c: (ClientPreferences.objects.create(cliente=c, email_undeliverable=c.email), gate(c, channel="email"))[
            1
        ]
    )(new_client()),
    Reason.CAP_SMS_DAILY: lambda s: gate(full_day(new_client())),
    Reason.CAP_SMS_MONTHLY: lambda s: (
        lambda c: ([request_messages([req(c), req(c)], now=local(2026, 11, d, 10)) for d in (2, 3, 4, 5)], gate(c))[1]
    )(new_client()),
    Reason.CAP_EMAIL_WEEKLY: lambda s: (lambda c: (gate(c, channel="email"), gate(c, channel="email"))[1])(
        new_client()
    ),
    Reason.CAP_KIND: lambda s: (
        lambda c: (api.send(c, "birthday", now=WED), api.send(c, "birthday", now=WED))[1].reason
    )(vip_client()),
    Reason.QUIET_HOURS: lambda s: request_message(req(new_client()), now=local(2026, 11, 25, 23)).reason,
    Reason.DUPLICATE: lambda s: (lambda c: [api.send(c, "birthday", key="k", now=WED) for _ in "ab"][1].reason)(
        new_client()
    ),
    Reason.SEGMENT: lambda s: gate(new_client(), segments=("vip_high_spend",)),
    Reason.EXPIRED: lambda s: (
        lambda m: (actions.expire_due(WED + datetime.timedelta(hours=2)), Message.objects.get(pk=m.pk).reason)[1]
    )(request_message(req(new_client(), expires_at=WED + datetime.timedelta(hours=1)), now=WED).message),
    Reason.TEMPLATE_ERROR: lambda s: (
        lambda m: (delivery.deliver(m.pk, now=WED), Message.objects.get(pk=m.pk).reason)[1]
    )(request_message(req(new_client(), custom_text="{{ nada }}"), now=WED).message),
    Reason.PROVIDER_REJECTED: lambda s: after_delivery(PermanentError("400"), s),
    Reason.PROVIDER_UNAVAILABLE: lambda s: after_delivery(TransientError("503"), s),
    Reason.PROVIDER_AMBIGUOUS: lambda s: after_delivery(AmbiguousError("timeout"), s),
    Reason.PROVIDER_MISCONFIGURED: lambda s: after_delivery(ConfigurationError("401"), s),
    Reason.STAFF_CANCELLED: lambda s: cancelled_with(Reason.STAFF_CANCELLED),
    Reason.RESPONDED: lambda s: cancelled_with(Reason.RESPONDED),
    Reason.BOOKING_CANCELLED: lambda s: cancelled_with(Reason.BOOKING_CANCELLED),
    Reason.INTERRUPTED: lambda s: interrupted(s),
    Reason.SUPPRESSED: lambda s: suppressed(),
    Reason.HOLDOUT: lambda s: (setattr(s, "HOLDOUT_PERCENT", 100), gate(new_client()))[1],
    Reason.CAMPAIGN_HOLDOUT: lambda s: gate(
        new_client(), kind="campaign", campaign_id=CampaignFactory(holdout_percent=100).pk
    ),
    Reason.SEND_TIME: lambda s: send_time_moved(s),
    Reason.BOOKING_CHANGED: lambda s: booking_moved(),
}


def suppressed():
    """An erased client's phone comes back on a new record (test_data_rights)."""
    from communications.privacy import suppression

    suppression.suppress("sms", "+56990000001")
    return gate(new_client(telefono="+56990000001"))


def booking_moved():
    """A reminder is waiting for 18:00; staff move the visit to 10:00 (test_booking_changes)."""
    from communications.tests.lifecycle_helpers import booking, client, run
    from communications.triggers.bookings import booking_saved

    venta = booking(client(), "2027-01-02 12:00", [("2027-01-15 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    venta.reservaservicios.update(hora_inicio=datetime.time(10))
    booking_saved(venta.pk, now=local(2027, 1, 14, 16, 40))
    return Message.objects.get(kind="appointment_reminder").reason


def interrupted(settings):
    """A worker dies mid-call (test_crash_exactness); the next claim finds the marker."""
    settings.SMS_BACKEND = "communications.tests.scripted_backend.SmsBackend"
    scripted_backend.script[:] = [KeyboardInterrupt()]
    message = request_message(req(new_client()), now=WED).message
    with pytest.raises(KeyboardInterrupt):
        delivery.deliver(message.pk, now=WED)
    delivery.deliver(message.pk, now=WED + datetime.timedelta(seconds=settings.MESSAGE_LEASE_SECONDS + 1))
    return Message.objects.get(pk=message.pk).reason


def test_the_table_covers_every_reason_code():
    assert set(SCENARIOS) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason), ids=lambda r: r.value)
def test_each_reason_code_is_produced(reason, settings):
    assert SCENARIOS[reason](settings) == reason
