"""Staff see each client's profile on the client page and can filter clients by risk band."""

import pytest
from django.urls import reverse

from communications.insights.models import ClientInsight
from ventas.tests.factories import ClienteFactory, ServicioFactory

pytestmark = pytest.mark.django_db


def test_the_client_page_shows_risk_reasons_hour_and_recommendations(admin_client):
    cliente = ClienteFactory()
    tina = ServicioFactory(nombre="Tina con hidromasaje")
    ClientInsight.objects.create(
        cliente=cliente,
        churn_probability=0.82,
        risk_band="alto",
        value_clp=120_000,
        reasons=["Sin visitas pagadas hace 200 días"],
        best_hour=18,
        best_hour_source="propia",
        recommendations=[tina.pk],
        model_version="churn-rfm_logistic·1",
    )
    page = admin_client.get(reverse("admin:ventas_cliente_change", args=[cliente.pk])).content.decode()
    assert "alto (82%)" in page
    assert "120.000" in page
    assert "Sin visitas pagadas hace 200 días" in page
    assert "18:00 (propia)" in page
    assert "Tina con hidromasaje" in page


def test_the_client_list_filters_by_risk_band(admin_client):
    risky, calm = ClienteFactory(nombre="Ana Riesgo"), ClienteFactory(nombre="Bea Tranquila")
    ClientInsight.objects.create(cliente=risky, churn_probability=0.9, risk_band="alto")
    ClientInsight.objects.create(cliente=calm, churn_probability=0.1, risk_band="bajo")
    page = admin_client.get(reverse("admin:ventas_cliente_changelist"), {"riesgo": "alto"}).content.decode()
    assert "Ana Riesgo" in page
    assert "Bea Tranquila" not in page
