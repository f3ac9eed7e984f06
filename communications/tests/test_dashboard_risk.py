"""Dashboard figure "clientes y CLP en riesgo por segmento": from the stored insight rows, one GROUP BY."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications.insights.models import ClientInsight, risk_band
from communications.stats import dashboard
from ventas.tests.factories import ClienteFactory

from .dashboard_helpers import staff_user

pytestmark = pytest.mark.django_db

URL = "/admin/communications/dashboard/"


def scored(segment, probability, value):
    return ClientInsight.objects.create(
        cliente=ClienteFactory(),
        segment=segment,
        churn_probability=probability,
        risk_band=risk_band(probability),
        value_clp=value,
    )


@pytest.fixture
def insights():
    scored("vip_high_spend", 0.9, 800_000)
    scored("vip_high_spend", 0.7, 200_000)  # 0.7 is already "alto"
    scored("vip_high_spend", 0.69, 900_000)  # medio: not at risk
    scored("regular_medium_spend", 0.95, 60_000)
    scored("regular_medium_spend", 0.1, 70_000)
    scored("new_low_spend", 0.5, 10_000)  # a segment with nobody at risk still shows its clients
    # An unscored row (no purchase history) is not part of the figure.
    ClientInsight.objects.create(cliente=ClienteFactory(), segment="zero_spend", value_clp=0)


def test_high_band_clients_and_their_365_day_value_per_segment_in_one_query(insights):
    with CaptureQueriesContext(connection) as queries:
        figure = dashboard.risk_by_segment()
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"].upper()
    # The CRM's segment order: new, regular, vip.
    assert [(r.segment, r.clients, r.at_risk, r.value_at_risk) for r in figure.rows] == [
        ("new_low_spend", 1, 0, 0),
        ("regular_medium_spend", 2, 1, 60_000),
        ("vip_high_spend", 3, 2, 1_000_000),
    ]
    assert (figure.clients, figure.at_risk, figure.value_at_risk) == (6, 3, 1_060_000)
    assert figure.rows[2].label == "VIP · gasto alto"


def test_the_dashboard_shows_the_figure_in_spanish(client, insights):
    client.force_login(staff_user())
    html = client.get(URL).content.decode()
    assert "Clientes y CLP en riesgo por segmento" in html
    section = html[html.index('id="risk-segments"') :]
    section = section[: section.index("</table>")]
    assert "VIP · gasto alto" in section
    # Thousands as the rest of the dashboard writes them (the locale's separator).
    digits = section.replace("\xa0", "").replace(".", "")
    assert "$ 1000000<" in digits and "$ 1060000<" in digits


def test_without_scores_the_dashboard_says_so(client):
    client.force_login(staff_user())
    html = client.get(URL).content.decode()
    assert "Aún no hay clientes puntuados" in html


def test_the_csv_carries_each_segments_risk_figures(client, insights):
    """Staff who export the dashboard get the at-risk figure too (as of the latest scoring)."""
    import csv
    import datetime
    import io

    import time_machine

    from .dashboard_helpers import healthy_week

    with time_machine.travel(datetime.datetime(2026, 11, 30, 18, tzinfo=datetime.UTC), tick=False):
        healthy_week(datetime.date(2026, 11, 29))  # SMS to regular_medium_spend, email to vip_high_spend
        client.force_login(staff_user())
        response = client.get(f"{URL}export.csv", {"desde": "2026-11-01", "hasta": "2026-11-30"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[-3:] == [
        "Clientes puntuados",
        "Clientes en riesgo alto de abandono",
        "Valor en riesgo CLP (pagado en 365 días)",
    ]
    assert {r[0]: r[-3:] for r in body} == {
        "Regular · gasto medio": ["2", "1", "60000"],
        "VIP · gasto alto": ["3", "2", "1000000"],
    }
