"""M3, M4, L3: a reactivation sequence stops when the client comes back, at most once per 90 days,
and reaches clients without a usable email by SMS."""

import datetime

import pytest

from communications import actions, api, gate
from communications.models import Message, Reason, Status
from communications.simulation import deliver_due
from communications.tests.lifecycle_helpers import L, booking, client, msgs, run
from communications.triggers import TRIGGERS
from communications.triggers import run as trun
from communications.triggers.bookings import booking_saved

pytestmark = pytest.mark.django_db


def sent(c):
    return [(kind, when) for kind, status, _r, when, _k in msgs(c) if status == Status.SENT]


def test_a_client_who_books_while_the_reactivation_email_waits_gets_neither_the_email_nor_the_sms():
    laura = client("Laura")
    booking(laura, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    api.send(
        laura, "manual", channel="email", custom_text="Hola {{ nombre }}", subject="Noticias", now=L("2027-03-01 10:00")
    )
    run("reactivation_email", "2027-03-02 10:00")  # deferred: weekly email cap
    [email] = Message.objects.filter(cliente=laura, kind="reactivation_email")
    assert (email.status, email.reason) == (Status.SCHEDULED, Reason.CAP_EMAIL_WEEKLY)
    v = booking(laura, "2027-03-03 12:00", [("2027-03-30 12:00",)], estado="parcial", pagado=20000)
    booking_saved(v.pk, now=L("2027-03-03 12:00"))
    gate.promote_due(L("2027-03-08 09:00"))
    deliver_due(L("2027-03-08 09:05"))
    assert run("reactivation_sms", "2027-03-15 10:00") == {}
    email.refresh_from_db()
    assert (email.status, email.reason) == (Status.CANCELLED, Reason.RESPONDED)
    assert not Message.objects.filter(cliente=laura, kind="reactivation_sms").exists()


def test_the_outbox_rechecks_a_scheduled_reactivation_email_even_when_the_booking_came_without_signals():
    laura = client("Laura")
    booking(laura, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    api.send(laura, "manual", channel="email", custom_text="Hola", subject="Noticias", now=L("2027-03-01 10:00"))
    run("reactivation_email", "2027-03-02 10:00")
    booking(laura, "2027-03-03 12:00", [("2027-03-30 12:00",)], estado="parcial", pagado=20000)  # no booking_saved
    assert gate.promote_due(L("2027-03-08 09:00")) == {f"cancelled:{Reason.RESPONDED}": 1}
    assert msgs(laura, kind="reactivation_email")[0][1:3] == (Status.CANCELLED, Reason.RESPONDED)


def test_a_still_inactive_client_keeps_the_deferred_email():
    laura = client("Laura")
    booking(laura, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    api.send(laura, "manual", channel="email", custom_text="Hola", subject="Noticias", now=L("2027-03-01 10:00"))
    run("reactivation_email", "2027-03-02 10:00")
    assert gate.promote_due(L("2027-03-08 09:00")) == {"queued": 1}


def test_a_booking_made_after_the_email_was_decided_but_before_it_went_counts_as_a_response():
    laura = client("Laura")
    booking(laura, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    api.send(laura, "manual", channel="email", custom_text="Hola", subject="Noticias", now=L("2027-03-01 10:00"))
    run("reactivation_email", "2027-03-02 10:00")
    # The booking lands between the decision (2 Mar) and the send (8 Mar), without any signal,
    # and the sweep happens to promote the email anyway (a forced send by staff, say).
    Message.objects.filter(cliente=laura, kind="reactivation_email").update(
        status=Status.SENT, sent_at=L("2027-03-08 09:00")
    )
    booking(laura, "2027-03-05 12:00", [("2027-03-06 12:00",)], estado="pagado")
    assert run("reactivation_sms", "2027-03-15 10:00") == {}


def test_reactivation_is_one_sequence_per_ninety_days_across_a_quarter_end():
    pablo = client("Pablo")
    booking(pablo, "2026-12-20 12:00", [("2026-12-24 12:00",)])  # 90 days -> 24 Mar 2027
    start = L("2027-03-24 00:00")
    for h in range(24 * 20):  # hourly, like beat + outbox sweep
        now = start + datetime.timedelta(hours=h)
        for name in ("reactivation_email", "reactivation_sms"):
            trun(TRIGGERS[name], now)
        actions.expire_due(now)
        gate.promote_due(now)
        deliver_due(now)
    assert sent(pablo) == [
        ("reactivation_email", "2027-03-24 12:00 Wed"),
        ("reactivation_sms", "2027-03-31 12:00 Wed"),
    ]


def test_the_rolling_cap_defers_a_second_email_to_ninety_days_after_the_first():
    pablo = client("Pablo")
    api.send(pablo, "reactivation_email", now=L("2027-03-24 12:00"))
    second = api.send(pablo, "reactivation_email", now=L("2027-04-01 10:00"))
    assert (second.status, second.reason) == ("scheduled", Reason.CAP_KIND)
    assert second.decision.scheduled_for == L("2027-06-22 09:00")  # 24 Mar + 90 days


def test_a_client_without_a_usable_email_gets_the_reactivation_sms_directly():
    nico = client("Nico", email=False)
    booking(nico, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    run("reactivation_email", "2027-03-02 10:00")
    assert msgs(nico, kind="reactivation_email")[0][1:3] == (Status.BLOCKED, Reason.NO_EMAIL)
    assert run("reactivation_sms", "2027-03-02 11:00") == {("reactivation_sms", "queued", ""): 1}
    assert run("reactivation_email", "2027-03-03 10:00") == {}  # no blocked row a day either


def test_a_client_who_opted_out_of_email_is_not_treated_as_without_email():
    olga = client("Olga")
    booking(olga, "2026-08-01 12:00", [("2026-08-03 12:00",)])
    api.opt_out(olga, channel="email", scope="marketing")
    run("reactivation_email", "2027-03-02 10:00")
    assert run("reactivation_sms", "2027-03-02 11:00") == {}
