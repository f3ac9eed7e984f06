"""KPI and invariant alerts: checked every 15 minutes by beat and by ``manage.py check_alerts``.

Each check says FIRE, CLEAR or HOLD. An alert is one open ``Alert`` row per code:
firing again bumps its count and last-seen time; clearing resolves it. Rate
alerts resolve only below 90% of their threshold (HOLD in between), so a rate
hovering at the line does not flap. Each code is emailed to ALERT_EMAILS at most
once per 24 hours, however often it fires, resolves and fires again.

Checks read the rollup (rates over the last 7 days) and bounded slices of the
live tables (the outbox head, the last hour or day of messages, SweepRun).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Min, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import calendar as cal
from .. import delivery, sweeps
from ..models import Message, Reason, Status
from ..simulation import check_invariants
from . import kpis
from .models import Alert, DailyStat

log = logging.getLogger(__name__)

FIRE, CLEAR, HOLD = "fire", "clear", "hold"
EMAIL_EVERY = timedelta(hours=24)
RATE_DAYS = 7
RESOLVE_FACTOR = 0.9
QUEUE_MAX_AGE = timedelta(minutes=15)
SWEEP_SILENCE = timedelta(minutes=15)
UNKNOWN_MIN = 5
UNKNOWN_FACTOR = 3

TITLES = {
    "complaint_rate": gettext_lazy("Tasa de quejas de spam sobre 0,1 % (7 días)"),
    "opt_out_rate": gettext_lazy("Tasa de bajas sobre 2 % (7 días)"),
    "sms_delivery": gettext_lazy("Entrega de SMS bajo 95 % (7 días)"),
    "email_bounce_rate": gettext_lazy("Rebotes de email sobre 2 % (7 días)"),
    "cap_exceeded": gettext_lazy("Un cliente superó un límite de envío (no debe ocurrir nunca)"),
    "cap_pressure": gettext_lazy("Mucho marketing bloqueado por los límites (presión de envío)"),
    "queue_stale": gettext_lazy("Mensajes en cola hace más de 15 minutos"),
    "sweep_silent": gettext_lazy("Una tarea automática lleva más de 15 minutos sin correr"),
    "unknown_spike": gettext_lazy("Aumento de envíos con resultado incierto"),
    "channel_paused": gettext_lazy("Canal en pausa (credenciales del proveedor)"),
    "template_error": gettext_lazy("Mensajes bloqueados por error de plantilla (24 h)"),
}


def title(code: str) -> str:
    return str(TITLES.get(code, code))


@dataclass(frozen=True)
class Finding:
    code: str
    state: str
    severity: str = Alert.Severity.WARNING
    value: float | None = None
    detail: str = ""


# --- pure decisions ------------------------------------------------------------------


def ceiling_state(r: kpis.Rate, threshold: float, min_messages: int) -> tuple[str, float | None]:
    """A rate that must stay below ``threshold``: fire above it, clear below 90% of it."""
    if r.denominator < min_messages or r.value is None:
        return HOLD, r.value
    if r.value > threshold:
        return FIRE, r.value
    return (CLEAR if r.value < RESOLVE_FACTOR * threshold else HOLD), r.value


def floor_state(r: kpis.Rate, threshold: float, min_messages: int) -> tuple[str, float | None]:
    """A rate that must stay above ``threshold`` (delivery): the same rule on its complement."""
    if r.denominator < min_messages or r.value is None:
        return HOLD, r.value
    state, _miss = ceiling_state(kpis.Rate(r.denominator - r.numerator, r.denominator), 1 - threshold, 0)
    return state, r.value


def unknown_spike_state(last_hour: int, previous_week: int) -> str:
    """At least 5 in the last hour and more than 3× the hourly mean of the previous 7 days."""
    mean = previous_week / (7 * 24)
    return FIRE if last_hour >= UNKNOWN_MIN and last_hour > UNKNOWN_FACTOR * mean else CLEAR


# --- checks ----------------------------------------------------------------------------


def _rate_finding(code, severity, r, state_value, text):
    state, value = state_value
    detail = text % {"v": kpis.percent(value), "n": r.numerator, "d": r.denominator} if value is not None else ""
    return Finding(code, state, severity, value, detail)


def rate_checks(now) -> list[Finding]:
    today = cal.localdate(now)
    start = today - timedelta(days=RATE_DAYS - 1)
    rows = list(
        DailyStat.objects.filter(day__gte=start, day__lte=today).values(
            "day",
            "channel",
            "kind",
            "requested",
            "handed",
            "delivered",
            "complaints",
            "opt_outs",
            "bounces",
            "blocked_by_reason",
        )
    )
    minimum = settings.ALERT_MIN_MESSAGES
    everything = kpis.total(rows)
    email = kpis.total(r for r in rows if r["channel"] == "email")
    # SMS statuses move for hours after sending: the delivery alert reads settled days only.
    settled = cal.localdate(now - timedelta(hours=2))
    sms = kpis.total(r for r in rows if r["channel"] == "sms" and r["day"] < settled)
    marketing = kpis.total(r for r in rows if r["kind"] in kpis.MARKETING_KINDS)

    complaints = kpis.rate(everything, "complaints", "delivered")
    opt_outs = kpis.rate(everything, "opt_outs", "delivered")
    bounces = kpis.rate(email, "bounces", "handed")
    delivered = kpis.rate(sms, "delivered", "handed")
    capped = sum(n for reason, n in marketing["blocked_by_reason"].items() if reason.startswith("cap_"))
    pressure = kpis.Rate(capped, marketing["requested"])
    share = settings.ALERT_CAP_PRESSURE_SHARE
    return [
        _rate_finding(
            "complaint_rate",
            Alert.Severity.CRITICAL,
            complaints,
            ceiling_state(complaints, 0.001, minimum),
            _("%(v)s de quejas: %(n)d de %(d)d mensajes entregados."),
        ),
        _rate_finding(
            "opt_out_rate",
            Alert.Severity.WARNING,
            opt_outs,
            ceiling_state(opt_outs, 0.02, minimum),
            _("%(v)s de bajas: %(n)d de %(d)d mensajes entregados."),
        ),
        _rate_finding(
            "sms_delivery",
            Alert.Severity.WARNING,
            delivered,
            floor_state(delivered, 0.95, minimum),
            _("%(v)s de entrega: %(n)d de %(d)d SMS entregados al proveedor."),
        ),
        _rate_finding(
            "email_bounce_rate",
            Alert.Severity.WARNING,
            bounces,
            ceiling_state(bounces, 0.02, minimum),
            _("%(v)s de rebotes: %(n)d de %(d)d emails enviados."),
        ),
        _rate_finding(
            "cap_pressure",
            Alert.Severity.WARNING,
            pressure,
            ceiling_state(pressure, share, minimum),
            _("%(v)s del marketing bloqueado por límites: %(n)d de %(d)d solicitudes."),
        ),
    ]


def cap_check(now) -> Finding:
    """The simulation's invariant over the current month and week of messages (never should fire)."""
    today = cal.localdate(now)
    start = min(cal.window("month", today)[0], cal.window("week", today)[0])
    problems = check_invariants(Message.objects.filter(counts_on__gte=start, counts_on__lte=today))
    problems = [p for p in problems if "sin motivo" not in p]
    if not problems:
        return Finding("cap_exceeded", CLEAR, Alert.Severity.CRITICAL)
    detail = _("%(n)d casos; por ejemplo: %(p)s") % {"n": len(problems), "p": problems[0]}
    return Finding("cap_exceeded", FIRE, Alert.Severity.CRITICAL, len(problems), detail)


def queue_check(now) -> Finding:
    oldest = Message.objects.filter(status=Status.QUEUED, scheduled_for__lte=now).aggregate(m=Min("scheduled_for"))["m"]
    if oldest is None or now - oldest <= QUEUE_MAX_AGE:
        return Finding("queue_stale", CLEAR, Alert.Severity.CRITICAL)
    minutes = int((now - oldest).total_seconds() // 60)
    return Finding(
        "queue_stale",
        FIRE,
        Alert.Severity.CRITICAL,
        minutes,
        _("El mensaje en cola más antiguo espera hace %(m)d minutos: ¿hay workers corriendo?") % {"m": minutes},
    )


def sweep_check(now) -> Finding:
    runs = sweeps.last_runs(now)  # the check's clock, not the wall clock (a late check, a test)
    silent = [t for t in settings.ALERT_WATCHED_SWEEPS if t not in runs or runs[t].started_at < now - SWEEP_SILENCE]
    if not silent:
        return Finding("sweep_silent", CLEAR, Alert.Severity.CRITICAL)
    return Finding(
        "sweep_silent",
        FIRE,
        Alert.Severity.CRITICAL,
        len(silent),
        _("Sin ejecución reciente: %(t)s. ¿Está corriendo el planificador (beat)?") % {"t": ", ".join(silent)},
    )


def unknown_check(now) -> Finding:
    unknown = Q(status=Status.UNKNOWN) | Q(reason__in=(Reason.INTERRUPTED, Reason.PROVIDER_AMBIGUOUS))
    hour_ago = now - timedelta(hours=1)
    recent = Message.objects.filter(unknown, provider_call_started_at__gt=hour_ago, provider_call_started_at__lte=now)
    before = Message.objects.filter(
        unknown, provider_call_started_at__gt=hour_ago - timedelta(days=7), provider_call_started_at__lte=hour_ago
    )
    last_hour, previous = recent.count(), before.count()
    state = unknown_spike_state(last_hour, previous)
    detail = _("%(n)d envíos inciertos en la última hora (promedio previo: %(m).1f por hora).") % {
        "n": last_hour,
        "m": previous / 168,
    }
    return Finding("unknown_spike", state, Alert.Severity.WARNING, last_hour, detail if state == FIRE else "")


def paused_check(now) -> Finding:
    paused = [ch for ch in ("sms", "email") if delivery.channel_paused(ch)]
    if not paused:
        return Finding("channel_paused", CLEAR, Alert.Severity.CRITICAL)
    return Finding(
        "channel_paused",
        FIRE,
        Alert.Severity.CRITICAL,
        len(paused),
        _("En pausa: %(c)s. Revise las credenciales del proveedor.") % {"c": ", ".join(paused)},
    )


def template_check(now) -> Finding:
    """Messages stopped by their template in the last 24 hours, by kind and channel.

    The one banner about broken templates (the replies work's older live notice was
    removed): it names the kinds to fix, as that notice did, and resolves by itself.
    """
    from communications.kinds import KINDS
    from communications.models import Channel
    from communications.template_checks import recent_template_failures

    failures = recent_template_failures(now)
    n = sum(count for _kind, _channel, count in failures)
    if not n:
        return Finding("template_error", CLEAR, Alert.Severity.WARNING)
    listed = ", ".join(
        f"{KINDS[kind].label if kind in KINDS else kind} ({Channel(channel).label}): {count}"
        for kind, channel, count in failures
    )
    return Finding(
        "template_error",
        FIRE,
        Alert.Severity.WARNING,
        n,
        _(
            "Mensajes detenidos por un error en su plantilla: %(list)s. Corrige la plantilla: "
            "los siguientes mensajes de ese tipo también se bloquearán."
        )
        % {"list": listed},
    )


def evaluate(now) -> list[Finding]:
    """Every check, in the order staff read them."""
    return [
        *rate_checks(now),
        cap_check(now),
        queue_check(now),
        sweep_check(now),
        unknown_check(now),
        paused_check(now),
        template_check(now),
    ]


# --- state ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: str
    action: str  # raised | repeated | resolved | unchanged
    emailed: bool = False


def check(now=None, *, dry_run: bool = False) -> list[Outcome]:
    """Evaluate every check and (unless ``dry_run``) raise, repeat or resolve the alerts, then email."""
    now = now or timezone.now()
    open_codes = set(Alert.objects.filter(resolved_at__isnull=True).values_list("code", flat=True))
    outcomes = []
    for finding in evaluate(now):
        if finding.state == FIRE:
            action = "repeated" if finding.code in open_codes else "raised"
            emailed = False
            if not dry_run:
                alert = _raise(finding, now)
                emailed = _email_if_due(alert, now)
            outcomes.append(Outcome(finding.code, action, emailed))
        elif finding.state == CLEAR and finding.code in open_codes:
            if not dry_run:
                Alert.objects.filter(code=finding.code, resolved_at__isnull=True).update(resolved_at=now)
            outcomes.append(Outcome(finding.code, "resolved"))
        else:
            outcomes.append(Outcome(finding.code, "unchanged"))
    return outcomes


def _raise(finding: Finding, now) -> Alert:
    fields = {"severity": finding.severity, "detail": finding.detail[:500], "value": finding.value, "last_seen": now}
    for _attempt in range(3):
        with transaction.atomic():
            updated = Alert.objects.filter(code=finding.code, resolved_at__isnull=True).update(
                count=F("count") + 1, **fields
            )
            if updated:
                return Alert.objects.get(code=finding.code, resolved_at__isnull=True)
        # A new episode keeps the last email time of the previous one: one email per code per 24 h.
        previous = Alert.objects.filter(code=finding.code).order_by("-last_seen").values("last_emailed_at").first()
        try:
            with transaction.atomic():
                return Alert.objects.create(
                    code=finding.code,
                    first_seen=now,
                    count=1,
                    last_emailed_at=previous["last_emailed_at"] if previous else None,
                    **fields,
                )
        except IntegrityError:
            continue  # another check opened it meanwhile: bump that one
    raise RuntimeError(f"could not raise alert {finding.code}")


def _email_if_due(alert: Alert, now) -> bool:
    """Claim the 24-hour email slot with a conditional UPDATE (two checks never both send), then send."""
    recipients = settings.ALERT_EMAILS
    if not recipients:
        return False
    due = Q(last_emailed_at__isnull=True) | Q(last_emailed_at__lte=now - EMAIL_EVERY)
    if not Alert.objects.filter(pk=alert.pk).filter(due).update(last_emailed_at=now):
        return False
    subject = _("[Aremko] Alerta: %(t)s") % {"t": title(alert.code)}
    body = "\n".join(
        [
            title(alert.code),
            "",
            alert.detail,
            "",
            _("Gravedad: %(s)s. Vista por primera vez: %(f)s.")
            % {"s": alert.get_severity_display(), "f": f"{timezone.localtime(alert.first_seen):%d/%m/%Y %H:%M}"},
            _("Panel: %(u)s") % {"u": f"{settings.SITE_URL}/admin/communications/dashboard/"},
            "",
            _("Este aviso se envía como máximo una vez cada 24 horas mientras la alerta siga abierta."),
        ]
    )
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        # Give the slot back so the next check tries again; the alert itself stays open.
        Alert.objects.filter(pk=alert.pk).update(last_emailed_at=alert.last_emailed_at)
        log.exception("alert email for %s failed", alert.code)
        return False
    return True


def open_alerts():
    """Open alerts, the most serious first."""
    rank = Case(
        When(severity=Alert.Severity.CRITICAL, then=Value(0)),
        When(severity=Alert.Severity.WARNING, then=Value(1)),
        default=Value(2),
    )
    return Alert.objects.filter(resolved_at__isnull=True).order_by(rank, "-last_seen")
