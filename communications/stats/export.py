"""The dashboard's CSV: one row per segment × channel with the KPI, ROI and churn-risk figures.

The risk columns belong to the segment (as of the latest client scoring, not the
chosen period), so both channels of a segment repeat them, like the incremental
revenue columns.

UTF-8 with a BOM, ``;``-separated, decimal commas and Spanish headers: what
Chilean Excel opens with accents and numbers intact.
"""

import csv
import io

from django.utils.translation import gettext as _

from . import kpis
from .dashboard import CHANNEL_LABELS, RiskFigure, lift_dict, segment_label


def headers() -> list[str]:
    return [
        _("Segmento"),
        _("Canal"),
        _("Solicitados"),
        _("Bloqueados"),
        _("Diferidos"),
        _("Entregados al proveedor"),
        _("Entregados"),
        _("Fallidos"),
        _("Tasa de entrega (%)"),
        _("Aperturas únicas"),
        _("Tasa de apertura (%)"),
        _("Clics"),
        _("Tasa de clics (%)"),
        _("Quejas"),
        _("Tasa de quejas (%)"),
        _("Bajas"),
        _("Tasa de bajas (%)"),
        _("Conversiones"),
        _("Ingresos atribuidos (no causal) CLP"),
        _("Costo CLP"),
        _("ROI atribuido"),
        _("Ingreso incremental del segmento CLP"),
        _("Intervalo 95% inferior CLP"),
        _("Intervalo 95% superior CLP"),
        _("Veredicto"),
        _("Periodo del efecto incremental"),
        _("Clientes puntuados"),
        _("Clientes en riesgo alto de abandono"),
        _("Valor en riesgo CLP (pagado en 365 días)"),
    ]


def _num(value, digits=2) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}".replace(".", ",")


def _pct(r: kpis.Rate) -> str:
    return _num(None if r.value is None else r.value * 100)


def rows(figures: dict, risk: RiskFigure | None = None) -> list[list[str]]:
    lift = figures["lift"]
    risk_of = {r.segment: r for r in (risk.rows if risk else [])}
    out = []
    for (segment, channel), s in sorted(kpis.group(figures["rows"], "segment", "channel").items()):
        stat = lift.by_segment.get(segment)
        inc = lift_dict(stat) if stat else {}
        at_risk = risk_of.get(segment)
        out.append(
            [
                segment_label(segment),
                str(CHANNEL_LABELS.get(channel, channel)),
                _num(s["requested"]),
                _num(s["blocked"]),
                _num(s["deferred"]),
                _num(s["handed"]),
                _num(s["delivered"]),
                _num(s["failed"]),
                _pct(kpis.rate(s, "delivered", "handed")),
                _num(s["opens"]),
                _pct(kpis.rate(s, "opens", "delivered")),
                _num(s["clicks"]),
                _pct(kpis.rate(s, "clicks", "delivered")),
                _num(s["complaints"]),
                _pct(kpis.rate(s, "complaints", "delivered")),
                _num(s["opt_outs"]),
                _pct(kpis.rate(s, "opt_outs", "delivered")),
                _num(s["conversions"]),
                _num(s["revenue_clp"]),
                _num(s["cost_clp"]),
                _num(kpis.roi(s["revenue_clp"], s["cost_clp"])),
                _num(inc.get("revenue"), 0),
                _num(inc.get("low"), 0),
                _num(inc.get("high"), 0),
                inc.get("verdict", ""),
                lift.period if stat else "",
                _num(at_risk.clients) if at_risk else "",
                _num(at_risk.at_risk) if at_risk else "",
                _num(at_risk.value_at_risk) if at_risk else "",
            ]
        )
    return out


def csv_bytes(figures: dict, risk: RiskFigure | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    writer.writerows(rows(figures, risk))
    return buffer.getvalue().encode("utf-8-sig")
