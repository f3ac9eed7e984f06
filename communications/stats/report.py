"""The weekly report: Monday 08:00 local, the previous ISO week, to REPORT_EMAILS.

An hourly beat task calls ``send_due``: it sends the week before the latest
Monday 08:00 unless a WeeklyReport row says it already went, so a missed run
(beat down on Monday morning) is caught up by the next one, never lost, and a
rerun sends nothing. ``manage.py send_weekly_report`` builds any week on demand.
"""

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import calendar as cal
from . import dashboard, export, kpis
from .alerts import title
from .models import Alert, WeeklyReport

log = logging.getLogger(__name__)

SEND_AT = datetime.time(8, 0)
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
VOLUMES = [
    ("requested", gettext_lazy("Solicitados")),
    ("handed", gettext_lazy("Entregados al proveedor")),
    ("delivered", gettext_lazy("Entregados")),
    ("conversions", gettext_lazy("Conversiones (atribuidas)")),
    ("revenue_clp", gettext_lazy("Ingresos atribuidos (no causal)")),
    ("cost_clp", gettext_lazy("Costo")),
]


def week_label(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_range(label: str) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of an ISO week written YYYY-Www; ValueError with a Spanish message otherwise."""
    match = WEEK_RE.match(label or "")
    if not match:
        raise ValueError(_("Semana no válida: use el formato AAAA-Sss, por ejemplo 2026-W48."))
    try:
        monday = datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(_("La semana %(w)s no existe.") % {"w": label}) from None
    return monday, monday + datetime.timedelta(days=6)


def due_week(now) -> str:
    """The week the report for ``now`` covers: the one before the latest Monday 08:00 local."""
    today = cal.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    if now < cal.at_local(monday, SEND_AT):
        monday -= datetime.timedelta(days=7)
    return week_label(monday - datetime.timedelta(days=7))


@dataclass
class Report:
    week: str
    subject: str
    text: str
    html: str
    csv_name: str
    csv: bytes


def build(week: str, *, now=None) -> Report:
    now = now or timezone.now()
    start, end = week_range(week)
    previous_start, previous_end = start - datetime.timedelta(days=7), end - datetime.timedelta(days=7)
    current = dashboard.figures(start, end, now=now)
    previous = dashboard.figures(previous_start, previous_end, now=now)
    kpi_rows = []
    for tile, before in zip(current["tiles"], previous["tiles"], strict=True):
        change = kpis.compare(tile.rate.value, before.rate.value)
        kpi_rows.append(
            {
                "label": str(tile.target.label),
                "value": kpis.percent(tile.rate.value),
                "target": tile.target.text,
                "status": tile.status,
                "status_label": str(kpis.STATUS_LABELS[tile.status]),
                "counts": f"{tile.rate.numerator} / {tile.rate.denominator}",
                "previous": kpis.percent(before.rate.value),
                "change": _points(change),
            }
        )
    volume_rows = []
    for key, label in VOLUMES:
        a, b = current["totals"][key], previous["totals"][key]
        money = key.endswith("_clp")
        volume_rows.append(
            {
                "label": str(label),
                "value": kpis.clp(a) if money else f"{a:,}".replace(",", "."),
                "previous": kpis.clp(b) if money else f"{b:,}".replace(",", "."),
                "change": _signed_percent((a - b) / b) if b else "—",
            }
        )
    lift = current["lift"]
    roi_rows = [
        {
            "label": dashboard.segment_label(r.segment),
            "cost": kpis.clp(r.cost),
            "revenue": kpis.clp(r.revenue),
            "roi": kpis.percent(r.roi, 0),
            "incremental": kpis.clp(r.lift.get("revenue")) if r.lift else "—",
            "interval": f"[{kpis.clp(r.lift['low'])}; {kpis.clp(r.lift['high'])}]"
            if r.lift and r.lift.get("low") is not None
            else "",
            "verdict": r.lift.get("verdict", "") if r.lift else "",
        }
        for r in current["roi"]
    ]
    context = {
        "week": week,
        "start": start,
        "end": end,
        "previous_week": week_label(previous_start),
        "kpis": kpi_rows,
        "volumes": volume_rows,
        "roi": roi_rows,
        "lift": lift,
        "alerts": alerts_of(start, end),
        "dashboard_url": f"{settings.SITE_URL}/admin/communications/dashboard/?desde={start}&hasta={end}",
        "company": settings.COMPANY_NAME,
    }
    subject = _("Informe semanal de comunicaciones %(w)s (%(a)s al %(b)s)") % {
        "w": week,
        "a": f"{start:%d/%m}",
        "b": f"{end:%d/%m/%Y}",
    }
    return Report(
        week=week,
        subject=subject,
        text=render_to_string("communications/email/weekly_report.txt", context),
        html=render_to_string("communications/email/weekly_report.html", context),
        csv_name=f"comunicaciones_{week}.csv",
        csv=export.csv_bytes(current, dashboard.risk_by_segment()),  # risk: as of the latest scoring
    )


def alerts_of(start: datetime.date, end: datetime.date) -> list[dict]:
    """Alerts open at any moment of the week (local days)."""
    week_start = cal.at_local(start, datetime.time.min)
    week_end = cal.at_local(end + datetime.timedelta(days=1), datetime.time.min)
    rows = Alert.objects.filter(first_seen__lt=week_end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=week_start)
    )
    return [
        {
            "title": title(a.code),
            "severity": a.get_severity_display(),
            "count": a.count,
            "first_seen": timezone.localtime(a.first_seen),
            "resolved_at": timezone.localtime(a.resolved_at) if a.resolved_at else None,
            "detail": a.detail,
        }
        for a in rows.order_by("first_seen")
    ]


def send(report: Report, recipients: list[str]) -> None:
    email = EmailMultiAlternatives(report.subject, report.text, None, recipients)
    email.attach_alternative(report.html, "text/html")
    email.attach(report.csv_name, report.csv, "text/csv; charset=utf-8")
    email.send()


@dataclass(frozen=True)
class SendResult:
    week: str
    sent: bool
    reason: str = ""  # already_sent | no_recipients


def send_due(now, *, week: str | None = None) -> SendResult:
    """Send ``week`` (default: the due week) once: the WeeklyReport row is claimed before sending
    and removed again if sending fails, so the next hourly run retries."""
    week = week or due_week(now)
    recipients = settings.REPORT_EMAILS
    if not recipients:
        return SendResult(week, False, "no_recipients")
    if WeeklyReport.objects.filter(week=week).exists():
        return SendResult(week, False, "already_sent")
    try:
        with transaction.atomic():
            row = WeeklyReport.objects.create(week=week, sent_at=now, recipients=len(recipients))
    except IntegrityError:
        return SendResult(week, False, "already_sent")
    try:
        send(build(week, now=now), recipients)
    except Exception:
        row.delete()
        log.exception("weekly report %s not sent; the next run retries", week)
        raise
    return SendResult(week, True)


def _points(change: float | None) -> str:
    if change is None:
        return "—"
    text = f"{abs(change) * 100:.1f}".replace(".", ",")
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f"{sign}{text} pp"


def _signed_percent(change: float) -> str:
    return ("+" if change > 0 else "") + kpis.percent(change, 0).replace("-", "−")
