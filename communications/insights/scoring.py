"""Train, decide model or baseline on the spa's own data, and store one ClientInsight per client.

Loading and storing live here; every computation is in the pure modules. Clients
are written in keyset pages of ``chunk`` ids, so memory stays bounded by the
training history (a few numbers per booking) plus one page.
"""

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ventas.models import Cliente, ReservaServicio, Servicio, VentaReserva

from ..calendar import local_tz, localdate
from ..models import ClientPreferences
from . import churn, recommend, sendtime, sources
from .models import ClientInsight, InsightRun, risk_band

log = logging.getLogger(__name__)

MODEL_MAX_AGE = dt.timedelta(days=7)


def objectors() -> set[str]:
    return {
        str(pk)
        for pk in ClientPreferences.objects.filter(objects_to_profiling=True).values_list("cliente_id", flat=True)
    }


def allowed_hours() -> list[int]:
    open_, close = settings.QUIET_HOURS_OPEN, settings.QUIET_HOURS_CLOSE
    return list(range(open_.hour + (1 if open_.minute else 0), close.hour))


def _decide_churn(history, today, horizon):
    first = min((h[0][0] for h in history.values()), default=today)
    cutoff = today - dt.timedelta(days=horizon)
    if cutoff <= first:
        return "línea base: recency", {}
    try:
        result = churn.evaluate(history, cutoff, horizon)
    except churn.EvaluationError:
        return "línea base: recency", {}
    return result["in_use"], {"model": result["model"], "baselines": result["baselines"]}


def _decide(evaluate, *args):
    try:
        result = evaluate(*args)
    except Exception:  # noqa: BLE001 - a failed evaluation must not stop scoring; the baseline is safe
        log.exception("insight evaluation failed")
        return None, {}
    if not result.get("customers"):
        return None, {}
    return result["in_use"], {"model": result["model"], "baselines": result["baselines"]}


def train_and_score(now=None, chunk: int = 1000, progress=None) -> dict:
    now = now or timezone.now()
    today = localdate(now)
    local_now = timezone.localtime(now, local_tz()).replace(tzinfo=None)
    excluded = objectors()
    horizon = settings.CHURN_HORIZON_DAYS

    # Churn: occasions before today only.
    history = churn.occasions(r for r in sources.purchases() if r[0] not in excluded and r[1] < today)
    churn_in_use, churn_figures = _decide_churn(history, today, horizon)
    if churn_in_use == "modelo":
        model = churn.ChurnModel(horizon_days=horizon).fit(history, today)
        churn_scores = model.score(history, today)
        version = model.version
    else:
        name = churn_in_use.split(": ", 1)[1]
        churn_scores = churn.baseline_scorer(name, history, today, horizon)(history, today)
        version = f"churn-{name}"

    # Send time: allowed hours only; the population's best hour where the client has no events.
    allowed = allowed_hours()
    events = sendtime.events_by_customer(
        r for r in sources.engagement_events() if r[0] not in excluded and r[1] < local_now
    )
    sendtime_in_use, send_figures = _decide(
        sendtime.evaluate,
        [(c, t) for c, ts in events.items() for t in ts],
        local_now - dt.timedelta(days=90),
        allowed,
    )
    sendtime_in_use = sendtime_in_use or "línea base: population_best"
    population = sendtime.Population(events, allowed)
    send_model = sendtime.SendTimeModel().fit(events, local_now, allowed)
    policy = {
        "modelo": lambda past: send_model.choose(past, population, local_now),
        "línea base: own_window": lambda past: sendtime.own_window(past, population),
        "línea base: own_mode": lambda past: sendtime.own_mode(past, population),
        "línea base: fixed_10": lambda past: sendtime.fixed_10(past, population),
    }.get(sendtime_in_use, lambda past: population.best)

    # Recommendations: active services, never one already booked for the coming days.
    item_rows = [r for r in sources.items() if r[0] not in excluded and r[2] < local_now]
    baskets = recommend.baskets(item_rows)
    rec_in_use, rec_figures = _decide(recommend.evaluate, item_rows, local_now - dt.timedelta(days=60), 3)
    rec_in_use = rec_in_use or "línea base: popularity"
    rec_history = recommend.History(baskets, local_now)
    recommender = recommend.Recommender().fit(baskets, local_now)
    scorer = {
        "modelo": lambda c, ex: recommender.recommend(rec_history, c, 3, ex),
        "línea base: buy_again": lambda c, ex: recommend.buy_again(rec_history, c, 3, ex),
        "línea base: item_knn": lambda c, ex: recommend.item_knn(rec_history, c, 3, ex),
    }.get(rec_in_use, lambda c, ex: recommend.popularity(rec_history, c, 3, ex))
    inactive = {str(pk) for pk in Servicio.objects.filter(activo=False).values_list("pk", flat=True)}
    inactive |= set(rec_history.items) - {
        str(pk) for pk in Servicio.objects.filter(activo=True).values_list("pk", flat=True)
    }

    run = InsightRun.objects.create(
        trained_at=now,
        churn_version=version,
        churn_in_use=churn_in_use,
        sendtime_in_use=sendtime_in_use,
        recommend_in_use=rec_in_use,
        figures={"churn": churn_figures, "sendtime": send_figures, "recommend": rec_figures},
    )
    model_version = f"{version}·{run.pk}"
    year_ago = today - dt.timedelta(days=365)

    written, last_pk = 0, 0
    total = Cliente.objects.count()
    while True:
        ids = list(Cliente.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        last_pk = ids[-1]
        upcoming = defaultdict(set)
        for cliente_id, servicio_id in (
            ReservaServicio.objects.filter(venta_reserva__cliente_id__in=ids, fecha_agendamiento__gte=today)
            .exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
            .values_list("venta_reserva__cliente_id", "servicio_id")
        ):
            upcoming[str(cliente_id)].add(str(servicio_id))
        # The segment as the CRM computes it, stored for the dashboard's risk-by-segment figure.
        segments = dict(Cliente.objects.filter(pk__in=ids).with_segments().values_list("pk", "segment"))
        rows = []
        for pk in ids:
            key = str(pk)
            if key in excluded:
                continue
            past = history.get(key, [])
            probability = churn_scores.get(key)
            own = events.get(key, [])
            rows.append(
                ClientInsight(
                    cliente_id=pk,
                    churn_probability=probability,
                    risk_band=risk_band(probability),
                    value_clp=int(sum(a for d, a in past if d >= year_ago)),
                    segment=segments.get(pk, ""),
                    reasons=churn.reasons(past, today) if past else [],
                    best_hour=policy(own),
                    best_hour_source="propia" if own else "población",
                    recommendations=[int(i) for i in scorer(key, frozenset(inactive | upcoming[key]))],
                    model_version=model_version,
                    scored_at=now,
                )
            )
        with transaction.atomic():
            ClientInsight.objects.filter(cliente_id__in=[pk for pk in ids if str(pk) in excluded]).delete()
            ClientInsight.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["cliente"],
                update_fields=[
                    "churn_probability",
                    "risk_band",
                    "value_clp",
                    "segment",
                    "reasons",
                    "best_hour",
                    "best_hour_source",
                    "recommendations",
                    "model_version",
                    "scored_at",
                ],
            )
        written += len(rows)
        if progress:
            progress(written, total)
    InsightRun.objects.filter(pk=run.pk).update(clients_scored=written)
    return {"scored": written, "excluded": len(excluded), "churn": churn_in_use, "run": run.pk}


def model_is_stale(now=None) -> bool:
    now = now or timezone.now()
    latest = InsightRun.objects.order_by("-trained_at").first()
    return latest is None or now - latest.trained_at >= MODEL_MAX_AGE
