"""Stored insight rows: one per client, and one per (re)training run.

Registered with the communications app (imported at the end of communications.models).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RiskBand(models.TextChoices):
    HIGH = "alto", _("alto")
    MEDIUM = "medio", _("medio")
    LOW = "bajo", _("bajo")


def risk_band(probability: float | None) -> str:
    """specs/insights.md: alto ≥ 0.7, medio 0.4–0.7, bajo < 0.4."""
    if probability is None:
        return ""
    if probability >= 0.7:
        return RiskBand.HIGH
    if probability >= 0.4:
        return RiskBand.MEDIUM
    return RiskBand.LOW


class InsightRun(models.Model):
    """A training run: which model or baseline each feature uses, with the figures that decided it."""

    trained_at = models.DateTimeField(_("entrenado"), default=timezone.now, db_index=True)
    churn_version = models.CharField(_("versión del modelo de abandono"), max_length=40)
    churn_in_use = models.CharField(_("abandono: en uso"), max_length=60)
    sendtime_in_use = models.CharField(_("hora de envío: en uso"), max_length=60)
    recommend_in_use = models.CharField(_("recomendaciones: en uso"), max_length=60)
    figures = models.JSONField(_("cifras de la evaluación"), default=dict, blank=True)
    clients_scored = models.PositiveIntegerField(_("clientes puntuados"), default=0)

    class Meta:
        verbose_name = _("entrenamiento de modelos")
        verbose_name_plural = _("entrenamientos de modelos")
        ordering = ["-trained_at"]

    def __str__(self):
        return f"{self.churn_version} {self.trained_at:%Y-%m-%d %H:%M}"


class ClientInsight(models.Model):
    cliente = models.OneToOneField("ventas.Cliente", on_delete=models.CASCADE, related_name="insight")
    churn_probability = models.FloatField(_("probabilidad de abandono"), null=True, blank=True)
    risk_band = models.CharField(
        _("riesgo"), max_length=5, choices=RiskBand.choices, blank=True, default="", db_index=True
    )
    value_clp = models.PositiveIntegerField(_("valor (CLP pagados en 365 días)"), default=0)
    # The client's segment when scored: the dashboard groups the stored rows by it (one GROUP BY).
    segment = models.CharField(_("segmento al puntuar"), max_length=30, blank=True, default="")
    reasons = models.JSONField(_("motivos"), default=list, blank=True)
    best_hour = models.PositiveSmallIntegerField(_("mejor hora de envío"), null=True, blank=True)
    best_hour_source = models.CharField(_("origen de la hora"), max_length=20, blank=True, default="")
    recommendations = models.JSONField(_("recomendaciones (ids de servicio)"), default=list, blank=True)
    model_version = models.CharField(_("versión del modelo"), max_length=80, blank=True, default="")
    scored_at = models.DateTimeField(_("puntuado"), default=timezone.now)

    class Meta:
        verbose_name = _("perfil predictivo")
        verbose_name_plural = _("perfiles predictivos")

    def __str__(self):
        return str(self.cliente)
