"""Rows of the statistics part: precomputed buckets and alert state.

Registered with the communications app (imported at the end of communications.models).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyStat(models.Model):
    """One bucket: local day (the message's ``counts_on``) × channel × kind × segment × campaign.

    Recomputed whole by the refresh (overwrite, never increment), so running it twice
    or late changes nothing. ``campaign_id`` is 0 for messages without a campaign (a
    unique constraint treats NULLs as distinct, and a bucket must be unique).
    """

    day = models.DateField(_("día"))
    channel = models.CharField(_("canal"), max_length=5)
    kind = models.CharField(_("tipo"), max_length=40)
    segment = models.CharField(_("segmento"), max_length=30, blank=True, default="")
    campaign_id = models.BigIntegerField(_("campaña"), default=0)

    requested = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    blocked_by_reason = models.JSONField(default=dict, blank=True)
    deferred = models.PositiveIntegerField(default=0)
    deferred_by_reason = models.JSONField(default=dict, blank=True)
    cancelled = models.PositiveIntegerField(default=0)
    cancelled_by_reason = models.JSONField(default=dict, blank=True)
    expired = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    handed = models.PositiveIntegerField(
        default=0
    )  # handed to the provider (sent, unknown, delivered, failed after a call)
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)  # unique human opens
    clicks = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    opt_outs = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    bounces = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    revenue_clp = models.BigIntegerField(default=0)
    cost_clp = models.BigIntegerField(default=0)

    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("estadística diaria")
        verbose_name_plural = _("estadísticas diarias")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "kind", "segment", "campaign_id"], name="one_bucket")
        ]
        indexes = [models.Index(fields=["day", "channel"], name="dailystat_day_channel")]
        # The dashboard shows money and client behaviour: a permission of its own, not "is staff".
        permissions = [("view_dashboard", _("Puede ver el panel de comunicaciones"))]

    def __str__(self):
        return f"{self.day} {self.channel} {self.kind} {self.segment or '-'}"


class LiftStat(models.Model):
    """Incremental effect (treated vs holdout) for one fixed period × segment × kind.

    Empty ``segment`` means every segment; empty ``kind`` means all marketing.
    """

    period = models.CharField(_("periodo"), max_length=20)  # "30d", "90d", "2026-11"
    period_start = models.DateField(_("desde"))
    period_end = models.DateField(_("hasta"))
    segment = models.CharField(_("segmento"), max_length=30, blank=True, default="")
    kind = models.CharField(_("tipo"), max_length=40, blank=True, default="")

    treated_clients = models.PositiveIntegerField(default=0)
    treated_conversions = models.PositiveIntegerField(default=0)
    control_clients = models.PositiveIntegerField(default=0)
    control_conversions = models.PositiveIntegerField(default=0)
    difference = models.FloatField(null=True, blank=True)
    difference_low = models.FloatField(null=True, blank=True)
    difference_high = models.FloatField(null=True, blank=True)
    incremental_revenue_clp = models.FloatField(null=True, blank=True)
    incremental_revenue_low = models.FloatField(null=True, blank=True)
    incremental_revenue_high = models.FloatField(null=True, blank=True)
    verdict = models.CharField(_("veredicto"), max_length=40, blank=True, default="")

    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("efecto incremental")
        verbose_name_plural = _("efectos incrementales")
        constraints = [models.UniqueConstraint(fields=["period", "segment", "kind"], name="one_lift_per_period")]

    def __str__(self):
        return f"{self.period} {self.segment or 'todos'} {self.kind or 'marketing'}"


class Alert(models.Model):
    """A KPI or invariant alert, deduplicated: one open row per code, resolved when it clears."""

    class Severity(models.TextChoices):
        INFO = "info", _("Aviso")
        WARNING = "warning", _("Advertencia")
        CRITICAL = "critical", _("Crítica")

    code = models.CharField(_("código"), max_length=40)
    severity = models.CharField(_("gravedad"), max_length=10, choices=Severity.choices)
    detail = models.CharField(_("detalle"), max_length=500, blank=True, default="")
    value = models.FloatField(_("valor"), null=True, blank=True)
    first_seen = models.DateTimeField(_("visto por primera vez"), default=timezone.now)
    last_seen = models.DateTimeField(_("visto por última vez"), default=timezone.now)
    count = models.PositiveIntegerField(_("veces"), default=1)
    resolved_at = models.DateTimeField(_("resuelta"), null=True, blank=True)
    last_emailed_at = models.DateTimeField(_("último aviso por email"), null=True, blank=True)

    class Meta:
        verbose_name = _("alerta")
        verbose_name_plural = _("alertas")
        ordering = ["resolved_at", "-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(resolved_at__isnull=True), name="one_open_alert_per_code"
            )
        ]

    def __str__(self):
        return self.code


class WeeklyReport(models.Model):
    """One row per ISO week whose report went out: the hourly task sends each week once."""

    week = models.CharField(_("semana ISO"), max_length=8, unique=True)  # "2026-W48"
    sent_at = models.DateTimeField(_("enviado"), default=timezone.now)
    recipients = models.PositiveSmallIntegerField(_("destinatarios"), default=0)

    class Meta:
        verbose_name = _("informe semanal")
        verbose_name_plural = _("informes semanales")
        ordering = ["-week"]

    def __str__(self):
        return self.week
