"""Replay every trigger hourly over the next N days, inside a transaction that is rolled back.

Nothing is sent: the gate's "enqueue on commit" never fires in a rolled-back
transaction, and delivery is simulated by moving due queued rows to ``sent``.
Before rolling back, the invariants are checked on the simulated ledger: no
client above any cap, no marketing message outside the allowed hours, no
duplicated message, no blocked row without a reason.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Q

from . import actions
from . import calendar as cal
from .gate import promote_due
from .kinds import KINDS, NEVER
from .models import COUNTED_STATUSES, Category, Message, Reason, Status
from .policy import in_open_hours
from .triggers import TRIGGERS, run
from .triggers.base import run_in_rollback

SENT = (Status.SENT, Status.DELIVERED)


@dataclass
class SimulationResult:
    start: datetime.datetime
    days: int
    per_day: dict = field(default_factory=lambda: defaultdict(Counter))  # date -> (kind, outcome, reason) -> n
    totals: Counter = field(default_factory=Counter)
    # Messages that never went because their time passed: (kind, first_reason) -> n. The first
    # decision says why (quiet hours, a cap...), which the final reason "expired" hides.
    expired_by_first_reason: Counter = field(default_factory=Counter)
    # Messages sent at a random allowed hour by send-time exploration (specs/insights.md).
    send_time_explored: int = 0
    violations: list = field(default_factory=list)


def simulate(days: int, start: datetime.datetime, *, step_hours: int = 1, tick=None) -> SimulationResult:
    """``tick()`` is called once per simulated step (a command's progress bar)."""
    result = SimulationResult(start=start, days=days)

    def body():
        first_id = (Message.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        for hour in range(0, days * 24, step_hours):
            now = start + datetime.timedelta(hours=hour)
            for trigger in TRIGGERS.values():
                run(trigger, now)
            actions.expire_due(now)
            promote_due(now)
            deliver_due(now)
            if tick:
                tick()
        simulated = Message.objects.filter(pk__gte=first_id)
        collect(simulated, result)
        result.violations = check_invariants(simulated)

    run_in_rollback(body)
    return result


def deliver_due(now) -> int:
    """Stand-in for the send task: due queued rows go out at ``now``."""
    due = Message.objects.filter(status=Status.QUEUED, scheduled_for__lte=now)
    ids = list(due.values_list("pk", flat=True))
    actions.transition(Message.objects.filter(pk__in=ids), Status.SENDING, now=now)
    return actions.transition(Message.objects.filter(pk__in=ids), Status.SENT, now=now, provider="simulación")


def outcome_of(status: str) -> str:
    if status in SENT:
        return "sent"
    if status in COUNTED_STATUSES:
        return "pending"
    return status  # blocked / cancelled / expired / failed


def collect(messages, result: SimulationResult) -> None:
    rows = messages.values_list("counts_on", "kind", "status", "reason", "first_reason", "send_time_exploration")
    for day, kind, status, reason, first_reason, explored in rows.iterator():
        result.send_time_explored += bool(explored and status in SENT)
        key = (kind, outcome_of(status), reason)
        result.per_day[day][key] += 1
        result.totals[key] += 1
        if reason == Reason.EXPIRED:
            result.expired_by_first_reason[(kind, first_reason)] += 1


def check_invariants(messages) -> list[str]:
    """Caps recomputed from the simulated ledger, independently of the gate's own accounting."""
    problems = []
    sent = messages.filter(status__in=SENT)
    sms = sent.filter(channel="sms")
    daily = sms.values("cliente_id", "counts_on").annotate(
        marketing=Count("pk", filter=Q(category=Category.MARKETING)), total=Count("pk")
    )
    for row in daily:
        if row["marketing"] > settings.SMS_DAILY_LIMIT:
            problems.append(f"cliente {row['cliente_id']}: {row['marketing']} SMS de marketing el {row['counts_on']}")
    monthly = Counter()
    weekly = Counter()
    kind_windows = Counter()
    rolling = defaultdict(list)
    for cliente_id, day, channel, category, kind in sent.values_list(
        "cliente_id", "counts_on", "channel", "category", "kind"
    ).iterator():
        if channel == "sms" and category == Category.MARKETING:
            monthly[(cliente_id, day.year, day.month)] += 1
        if channel == "email" and category == Category.MARKETING:
            weekly[(cliente_id, cal.window("week", day)[0])] += 1
        cap = KINDS[kind].cap
        if cap and cap.period == "rolling":
            rolling[(cliente_id, kind)].append(day)
        elif cap:
            kind_windows[(cliente_id, kind, cal.window(cap.period, day)[0])] += 1
    problems += [
        f"cliente {c}: {n} SMS de marketing en {y}-{m:02d}"
        for (c, y, m), n in monthly.items()
        if n > settings.SMS_MONTHLY_LIMIT
    ]
    problems += [
        f"cliente {c}: {n} emails de marketing la semana del {w}"
        for (c, w), n in weekly.items()
        if n > settings.EMAIL_WEEKLY_LIMIT
    ]
    problems += [f"cliente {c}: {n} × {k} desde {w}" for (c, k, w), n in kind_windows.items() if n > KINDS[k].cap.count]
    for (c, k), days in rolling.items():
        days.sort()
        cap = KINDS[k].cap
        for earlier, later in zip(days, days[cap.count :], strict=False):
            if (later - earlier).days < cap.days:
                problems.append(f"cliente {c}: {cap.count + 1} × {k} en menos de {cap.days} días ({earlier}, {later})")
    # Quiet hours: every marketing message that went had its slot inside the allowed hours
    # (or its kind's closed-day window), wherever send time or a deferral moved it.
    marketing = sent.filter(category=Category.MARKETING).exclude(when_capped=NEVER)
    for cliente_id, kind, slot in marketing.values_list("cliente_id", "kind", "scheduled_for").iterator():
        if not in_open_hours(KINDS[kind], slot):
            problems.append(f"cliente {cliente_id}: {kind} fuera del horario permitido ({slot.isoformat()})")
    # No logical duplicate: one confirmation per booking, one reminder / follow-up per visit.
    repeated = (
        sent.filter(category=Category.TRANSACTIONAL, reserva__isnull=False)
        .exclude(kind="booking_changed")  # one per change of the booking, by design
        .values("cliente_id", "kind", "reserva_id", "counts_on")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    problems += [
        f"cliente {r['cliente_id']}: {r['n']} × {r['kind']} para la reserva {r['reserva_id']}" for r in repeated
    ]
    unexplained = messages.filter(status__in=(Status.BLOCKED, Status.CANCELLED, Status.EXPIRED), reason="").count()
    if unexplained:
        problems.append(f"{unexplained} mensajes bloqueados/cancelados sin motivo")
    return problems
