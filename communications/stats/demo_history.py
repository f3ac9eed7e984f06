"""A year of past communications for the demo, synthesised directly (not by replaying triggers).

Consistent by construction with what the gate enforces: marketing only in open
hours, every cap counted the gate's way (all SMS toward the SMS day/month, marketing
email per ISO week, each kind's own cap), no marketing on a channel after the client
opted out of it (later requests are written blocked/opted_out, as the gate would),
the holdout (control clients' marketing is blocked/holdout), contact details
(no phone, broken phone, no email are blocked with their reason). Outcomes follow
believable rates; some delivered marketing is followed by a paid booking, more often
than the control group books on its own, so the lift has something to find.
Then the statistics refresh runs over all of it.

Fast by construction (2,000 clients x 365 days in well under a minute): one pass in
Python builds plain rows (dicts, not model instances), each client's contact details
are checked once, and the messages are written in one transaction by one COPY on
PostgreSQL or one executemany on SQLite, with ids assigned here so that consent and
delivery events can point at them without reading anything back.
"""

import datetime
import random
import uuid
from bisect import bisect_left
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import calendar as cal
from ..kinds import KINDS
from ..models import (
    ClientPreferences,
    ConsentEvent,
    DeliveryEvent,
    Message,
    Reason,
)
from ..policy import ClientFacts, contact
from .bulk import insert_rows, next_id
from .holdout import in_global_holdout

MARKETING_EMAIL = ["campaign", "vip_newsletter", "reactivation_email", "loyalty_rewards"]
MARKETING_SMS = ["campaign", "reactivation_sms", "vip_early_access"]


class HistoryBuilder:
    def __init__(self, days: int, *, today: datetime.date, seed: int = 1, tick=None):
        self.tick = tick  # called once per client (a command's progress bar)
        self.rng = random.Random(seed)
        self.days = days
        self.today = today
        self.first_day = today - datetime.timedelta(days=days)
        self.messages: list[dict] = []  # Message fields by attname (see write_messages)
        self.consents: list[tuple[int, dict]] = []  # (message index, ConsentEvent fields)
        self.events: list[tuple[int, str]] = []  # (message index, event type)
        self.bookings = []
        self.prefs: dict[int, dict] = defaultdict(dict)
        self.n = 0
        self.all_days = [self.first_day + datetime.timedelta(days=i) for i in range((today - self.first_day).days)]
        # Calendar answers per day (and local time), computed once for all clients.
        self._open: dict[datetime.date, bool] = {}
        self._moments: dict[tuple, datetime.datetime] = {}
        self._windows: dict[tuple, datetime.date] = {}
        self._local_days: dict[datetime.datetime, datetime.date] = {}

    def is_open_day(self, day) -> bool:
        if day not in self._open:
            self._open[day] = cal.is_open_day(day)
        return self._open[day]

    def at_local(self, day, hour, minute) -> datetime.datetime:
        key = (day, hour, minute)
        if key not in self._moments:
            self._moments[key] = cal.at_local(day, datetime.time(hour, minute))
        return self._moments[key]

    def window_start(self, period, day) -> datetime.date:
        key = (period, day)
        if key not in self._windows:
            self._windows[key] = cal.window(period, day)[0]
        return self._windows[key]

    # --- driver -----------------------------------------------------------------
    def build(self) -> dict:
        from ventas.models import Cliente, VentaReserva
        from ventas.segments import PAID_STATES, segment_for

        paid = defaultdict(list)  # client -> sorted [(fecha_reserva, pagado)]
        all_bookings = defaultdict(list)
        for cid, when, created, amount, estado, pk in VentaReserva.objects.values_list(
            "cliente_id", "fecha_reserva", "fecha_creacion", "pagado", "estado_pago", "pk"
        ):
            if estado in PAID_STATES:
                paid[cid].append((when, amount))
            all_bookings[cid].append((created, when, estado, pk))
        times, spent = {}, {}  # client -> paid booking times, running spend before each
        for cid, rows in paid.items():
            rows.sort()
            times[cid] = [w for w, _a in rows]
            running = [0]
            for _w, amount in rows:
                running.append(running[-1] + amount)
            spent[cid] = running

        def segment_at(cid, moment):
            if cid not in times:
                return segment_for(0, 0)
            i = bisect_left(times[cid], moment)  # paid visits before the moment
            return segment_for(i, spent[cid][i])

        self.segment_at = segment_at
        clients = list(Cliente.objects.order_by("pk").values_list("pk", "telefono", "email", "fecha_nacimiento"))
        for cid, telefono, email, birthday in clients:
            self.client_history(cid, telefono, email, birthday, all_bookings.get(cid, []))
            if self.tick:
                self.tick(len(clients))
        return self.write()

    def client_history(self, cid, telefono, email, birthday, bookings):
        rng = self.rng
        facts = ClientFacts(cid, telefono, email or "")
        # The gate's contact check, once per client and channel (the facts do not change here).
        facts = (facts, {channel: contact(channel, facts) for channel in ("sms", "email")})
        control = in_global_holdout(cid, settings.HOLDOUT_PERCENT, settings.HOLDOUT_KEY)
        sms_used = Counter()  # local day -> SMS (all categories), month -> SMS
        email_weeks, kind_windows = Counter(), Counter()
        opted_out = {}  # channel (or "email_undeliverable") -> moment
        # Transactional first: they take their SMS slots whatever marketing wants (the gate's order).
        for created, when, estado, pk in sorted(bookings):
            if not (self.first_day <= cal.localdate(created) < self.today):
                continue
            moment = created
            self.add(cid, "booking_confirmation", "sms", moment, facts, reserva_id=pk, usage=sms_used)
            reminder = when - datetime.timedelta(hours=24)
            if estado != "cancelado" and created < reminder and cal.localdate(reminder) < self.today:
                self.add(cid, "appointment_reminder", "sms", reminder, facts, reserva_id=pk, usage=sms_used)
        # Marketing: a few candidate moments a month, each checked against every rule.
        for day in self.all_days:
            if rng.random() < 0.18 and self.is_open_day(day):
                channel = "email" if rng.random() < 0.6 else "sms"
                kinds = MARKETING_EMAIL if channel == "email" else MARKETING_SMS
                kind = rng.choice(kinds)
                if birthday and (day.month, day.day) == (birthday.month, birthday.day):
                    kind, channel = "birthday", "sms"
                moment = self.at_local(day, rng.randint(9, 19), rng.choice([0, 15, 30, 45]))
                self.marketing(
                    cid, kind, channel, moment, facts, control, sms_used, email_weeks, kind_windows, opted_out
                )

    def marketing(self, cid, kind, channel, moment, facts, control, sms_used, email_weeks, kind_windows, opted_out):
        day = cal.localdate(moment)
        if channel in opted_out:
            if self.rng.random() < 0.1:  # an occasional request still arrives: the gate blocks it
                self.add(cid, kind, channel, moment, facts, blocked=Reason.OPTED_OUT)
            return
        if channel == "email" and "email_undeliverable" in opted_out:
            if self.rng.random() < 0.1:
                self.add(cid, kind, channel, moment, facts, blocked=Reason.EMAIL_UNDELIVERABLE)
            return
        destination, reason = facts[1][channel]
        if reason:
            if self.rng.random() < 0.1:
                self.add(cid, kind, channel, moment, facts, blocked=reason)
            return
        if control:
            self.add(cid, kind, channel, moment, facts, blocked=Reason.HOLDOUT)
            return
        if channel == "sms":
            if sms_used[day] >= settings.SMS_DAILY_LIMIT:
                return
            if sms_used[(day.year, day.month)] >= settings.SMS_MONTHLY_LIMIT:
                self.add(cid, kind, channel, moment, facts, blocked=Reason.CAP_SMS_MONTHLY)
                return
        else:
            week = self.window_start("week", day)
            if email_weeks[week] >= settings.EMAIL_WEEKLY_LIMIT:
                return
        cap = KINDS[kind].cap
        if cap and cap.period == "rolling":
            # Days arrive in order: only the kind's messages of the last ``cap.days`` days compete.
            recent = [d for d in kind_windows.get(("rolling", kind), []) if (day - d).days < cap.days]
            if len(recent) >= cap.count:
                return
            kind_windows[("rolling", kind)] = [*recent, day]
        elif cap:
            window = (kind, self.window_start(cap.period, day))
            if kind_windows[window] >= cap.count:
                return
            kind_windows[window] += 1
        if channel == "email":
            email_weeks[self.window_start("week", day)] += 1
        message = self.add(cid, kind, channel, moment, facts, destination=destination, usage=sms_used)
        self.outcome(message, opted_out)

    # --- rows ---------------------------------------------------------------------
    def add(self, cid, kind, channel, moment, facts, *, reserva_id=None, blocked="", destination="", usage=None):
        category = KINDS[kind].category
        if not destination and not blocked:
            destination, reason = facts[1][channel]
            if reason:
                blocked = reason
        self.n += 1
        counts_on = self._local_days.get(moment)
        if counts_on is None:
            counts_on = self._local_days[moment] = cal.localdate(moment)
        m = {
            "cliente_id": cid,
            "channel": channel,
            "kind": kind,
            "category": category,
            "idempotency_key": f"history:{cid}:{kind}:{self.n}",
            "reserva_id": reserva_id,
            "destination": destination if not blocked else "",
            "status": "blocked" if blocked else "queued",
            "reason": blocked,
            "first_status": "blocked" if blocked else "queued",
            "first_reason": blocked,
            "client_segment": self.segment_at(cid, moment),
            "scheduled_for": moment,
            "counts_on": counts_on,
            "created_at": moment,
            "closed_at": moment if blocked else None,
            "queued_at": None if blocked else moment,
            "public_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            # Outcome fields deliver() and outcome() read before they may set them.
            "sent_at": None,
            "delivered_at": None,
            "opened_at": None,
            "machine_open": False,
            "clicked_at": None,
        }
        self.messages.append(m)
        if not blocked:
            if channel == "sms" and usage is not None:
                usage[counts_on] += 1
                usage[(counts_on.year, counts_on.month)] += 1
            if category != "marketing":
                self.deliver(m)
        return m

    def deliver(self, m):
        rng, at = self.rng, m["created_at"] + datetime.timedelta(seconds=self.rng.randint(5, 90))
        m["attempts"], m["provider"] = 1, "demo"
        if m["channel"] == "sms":
            m["segments"] = 1 if rng.random() < 0.85 else 2
            m["cost_clp"] = m["segments"] * settings.SMS_COST_PER_SEGMENT_CLP
            roll = rng.random()
            if roll < 0.955:
                m["status"], m["sent_at"], m["delivered_at"] = (
                    "delivered",
                    at,
                    at + datetime.timedelta(minutes=rng.randint(1, 30)),
                )
            elif roll < 0.985:
                m["status"], m["reason"], m["sent_at"], m["failed_at"] = "failed", Reason.PROVIDER_REJECTED, at, at
            elif roll < 0.99:
                m["status"], m["reason"] = "unknown", Reason.PROVIDER_AMBIGUOUS
            else:
                m["status"], m["sent_at"] = "sent", at
        else:
            m["status"], m["sent_at"] = "sent", at
        return m

    def outcome(self, m, opted_out):
        rng, i = self.rng, len(self.messages) - 1
        self.deliver(m)
        if m["channel"] == "email":
            roll = rng.random()
            if roll < 0.006:  # hard bounce: undeliverable from now on
                m["status"], m["reason"], m["failed_at"] = "failed", Reason.EMAIL_UNDELIVERABLE, m["sent_at"]
                self.events.append((i, "bounce"))
                self.prefs[m["cliente_id"]]["email_undeliverable"] = m["destination"]
                opted_out["email_undeliverable"] = m["sent_at"]  # no more email to that address
                return
            if roll < 0.015:
                self.events.append((i, "bounce"))  # soft bounce
                return
            if rng.random() < 0.12:
                m["opened_at"], m["machine_open"] = m["sent_at"] + datetime.timedelta(seconds=3), True
            elif rng.random() < 0.33:
                m["opened_at"] = m["sent_at"] + datetime.timedelta(hours=rng.randint(1, 30))
                if rng.random() < 0.15:
                    m["clicked_at"] = m["opened_at"] + datetime.timedelta(minutes=rng.randint(1, 10))
            if rng.random() < 0.0008:
                self.events.append((i, "complaint"))
                self.opt_out(i, m, "email", ConsentEvent.Source.COMPLAINT, opted_out)
            elif rng.random() < 0.003:
                self.opt_out(i, m, "email", ConsentEvent.Source.UNSUBSCRIBE_LINK, opted_out)
            touch = m["clicked_at"] or (m["opened_at"] if not m["machine_open"] else None)
        else:
            if m["status"] == "delivered" and rng.random() < 0.02:
                m["replied_at"] = m["delivered_at"] + datetime.timedelta(minutes=rng.randint(2, 600))
                if rng.random() < 0.4:
                    self.opt_out(i, m, "sms", ConsentEvent.Source.SMS_KEYWORD, opted_out, at=m["replied_at"])
            touch = m["delivered_at"]
        # Some touches are followed by a booking: the campaign worked (the lift's signal).
        if touch and rng.random() < 0.035:
            created = touch + datetime.timedelta(hours=rng.randint(1, 60))
            if cal.localdate(created) < self.today:
                amount = rng.choice([45_000, 50_000, 72_000, 89_000])
                self.bookings.append((m["cliente_id"], created, amount))

    def opt_out(self, i, m, channel, source, opted_out, at=None):
        at = at or (m["opened_at"] or m["sent_at"]) + datetime.timedelta(minutes=5)
        opted_out[channel] = at
        self.consents.append((i, {"channel": channel, "scope": "marketing", "source": source, "created_at": at}))
        self.prefs[m["cliente_id"]][f"accepts_marketing_{channel}"] = False

    def control_bookings(self):
        """Controls book on their own too (the baseline the treated group is compared with)."""
        from ventas.models import Cliente

        for cid in Cliente.objects.values_list("pk", flat=True):
            if in_global_holdout(cid, settings.HOLDOUT_PERCENT, settings.HOLDOUT_KEY) and self.rng.random() < 0.25:
                day = self.first_day + datetime.timedelta(days=self.rng.randrange(max(self.days, 1)))
                self.bookings.append((cid, cal.at_local(day, datetime.time(12)), 50_000))

    # --- write ----------------------------------------------------------------------
    def write(self) -> dict:
        from ventas.models import VentaReserva

        self.control_bookings()
        with transaction.atomic():
            first_id = write_messages(self.messages)
            ConsentEvent.objects.bulk_create(
                [
                    ConsentEvent(
                        cliente_id=self.messages[i]["cliente_id"],
                        granted=False,
                        message_id=first_id + i,
                        actor="demo",
                        **fields,
                    )
                    for i, fields in self.consents
                ],
                batch_size=2000,
            )
            DeliveryEvent.objects.bulk_create(
                [
                    DeliveryEvent(
                        message_id=first_id + i,
                        provider="demo",
                        event_type=kind,
                        normalized=kind,
                        dedupe_key=f"demo:{kind}:{self.messages[i]['public_id'].hex}",
                        received_at=self.messages[i]["sent_at"],
                    )
                    for i, kind in self.events
                ],
                batch_size=2000,
            )
            write_preferences(self.prefs)
            VentaReserva.objects.bulk_create(
                [
                    VentaReserva(
                        cliente_id=cid,
                        fecha_creacion=created,
                        fecha_reserva=created + datetime.timedelta(days=3),
                        total=amount,
                        pagado=amount,
                        estado_pago="pagado",
                        estado_reserva="checkout" if created.date() < self.today else "pendiente",
                    )
                    for cid, created, amount in self.bookings
                ],
                batch_size=2000,
            )
        return {"messages": len(self.messages), "bookings": len(self.bookings), "opt_outs": len(self.consents)}


def write_messages(rows: list[dict]) -> int:
    """Insert ``rows`` (Message fields by attname) with ids assigned here; returns the first id.

    One COPY on PostgreSQL, one executemany on SQLite, inside the caller's transaction.
    """
    first_id = next_id(Message)
    insert_rows(Message, rows, first_id=first_id)
    return first_id


def write_preferences(prefs: dict[int, dict]) -> None:
    """The consent flags the history changed, per client: one bulk update and one bulk insert."""
    if not prefs:
        return
    now = timezone.now()
    existing = {p.cliente_id: p for p in ClientPreferences.objects.filter(cliente_id__in=prefs)}
    changed, fields = [], {"updated_at"}
    for cid, values in prefs.items():
        fields.update(values)
        if cid in existing:
            row = existing[cid]
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            changed.append(row)
    if changed:
        ClientPreferences.objects.bulk_update(changed, sorted(fields), batch_size=500)
    ClientPreferences.objects.bulk_create(
        [ClientPreferences(cliente_id=cid, **values) for cid, values in prefs.items() if cid not in existing],
        batch_size=2000,
    )


def seed_history(days: int, *, today=None, seed: int = 1, tick=None) -> dict:
    """Write ``days`` of past messages for every client, then refresh the statistics over them.

    ``tick(total)`` is called once per client synthesised (a progress bar's step).
    """
    from .refresh import last_days, refresh

    today = today or cal.localdate(timezone.now())
    counts = HistoryBuilder(days, today=today, seed=seed, tick=tick).build()
    now = cal.at_local(today, datetime.time(12)) if today != cal.localdate(timezone.now()) else timezone.now()
    counts.update(refresh(last_days(days + 1, today=today), now=now, lift=True))
    return counts
