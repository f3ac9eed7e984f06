"""The dashboard page and its CSV: permission, KPI tiles against targets, charts, reasons, ROI, live lists."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from communications.gate import request_message
from communications.models import SweepRun
from communications.tests.helpers import local, new_client, req

from .dashboard_helpers import bucket, healthy_week, lift, staff_user

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 30, 15)  # a Monday afternoon in Santiago
TODAY = datetime.date(2026, 11, 30)
URL = "/admin/communications/dashboard/"
CSV_URL = "/admin/communications/dashboard/export.csv"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def marketing(client):
    client.force_login(staff_user())
    return client


def test_the_dashboard_lives_at_its_admin_url_in_the_admin_namespace():
    assert reverse("admin:communications_dashboard") == URL
    assert reverse("admin:communications_dashboard_export") == CSV_URL


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert client.get(CSV_URL).status_code == 302


def test_staff_without_the_dashboard_permission_get_403(client):
    client.force_login(staff_user("recepcion", dashboard=False))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_the_admin_index_links_the_dashboard_first_for_those_who_may_see_it(marketing, client):
    page = marketing.get("/admin/").content.decode()
    assert URL in page
    assert page.index("Panel de comunicaciones") < page.index("Comunicaciones</a>")


def test_the_admin_index_hides_the_link_without_the_permission(client):
    client.force_login(staff_user("recepcion", dashboard=False))
    assert URL not in client.get("/admin/").content.decode()


def test_tiles_show_each_rate_with_its_denominator_and_status_against_the_plan(marketing):
    healthy_week(TODAY - datetime.timedelta(days=1))
    response = marketing.get(URL)
    assert response.status_code == 200
    tiles = {t["key"]: t for t in response.context["tiles"]}
    assert (tiles["sms_delivery"]["numerator"], tiles["sms_delivery"]["denominator"]) == (686, 700)
    assert tiles["sms_delivery"]["value"] == "98,0 %"
    assert tiles["sms_delivery"]["status"] == "ok"
    assert (tiles["email_open"]["numerator"], tiles["email_open"]["denominator"]) == (280, 693)
    assert tiles["email_open"]["side"] == "9,1 %"  # clicks beside the opens
    assert tiles["reactivation_conversion"]["value"] == "12,2 %"
    assert tiles["complaints"]["status"] == "ok"
    page = response.content.decode()
    assert "Meta: &gt; 95,0 %" in page
    assert "SMS entregados al proveedor" in page
    assert "proxies de privacidad" in page


def test_a_rate_beyond_its_ceiling_is_coloured_bad_and_near_it_warn(marketing):
    bucket(TODAY - datetime.timedelta(days=2), "email", "vip_newsletter", handed=1000, delivered=1000, complaints=3)
    bucket(TODAY - datetime.timedelta(days=2), "sms", "campaign", handed=1000, delivered=1000, opt_outs=37)
    tiles = {t["key"]: t for t in marketing.get(URL).context["tiles"]}
    assert tiles["complaints"]["status"] == "bad"  # 3 / 2000 = 0,15 % ≥ 0,1 %
    assert tiles["opt_outs"]["status"] == "warn"  # 37 / 2000 = 1,85 %: under 2 % but within 10 % of it
    assert 'id="tile-complaints"' in marketing.get(URL).content.decode()


def test_todays_sms_do_not_count_in_the_delivery_rate_while_their_status_still_moves(marketing):
    bucket(TODAY, "sms", "campaign", handed=100, delivered=10)
    bucket(TODAY - datetime.timedelta(days=1), "sms", "campaign", handed=100, delivered=99)
    tile = next(t for t in marketing.get(URL).context["tiles"] if t["key"] == "sms_delivery")
    assert (tile["numerator"], tile["denominator"]) == (99, 100)


def test_no_data_is_said_plainly_and_not_as_zero_percent(marketing):
    tiles = marketing.get(URL).context["tiles"]
    assert {t["status"] for t in tiles} == {"none"}
    assert {t["value"] for t in tiles} == {"—"}


def test_the_default_range_is_the_last_30_days_and_the_range_and_channel_filter(marketing):
    bucket(TODAY - datetime.timedelta(days=10), "sms", handed=5, delivered=5, requested=5)
    bucket(TODAY - datetime.timedelta(days=40), "sms", handed=7, delivered=7, requested=7)
    bucket(TODAY - datetime.timedelta(days=10), "email", "vip_newsletter", handed=3, delivered=3, requested=3)
    response = marketing.get(URL)
    assert (response.context["start"], response.context["end"]) == (TODAY - datetime.timedelta(days=29), TODAY)
    assert response.context["funnel"][0]["value"] == 8
    wide = marketing.get(URL, {"desde": "2026-10-01", "hasta": "2026-11-30", "canal": "sms"})
    assert wide.context["funnel"][0]["value"] == 12
    assert [c["id"] for c in wide.context["charts"]] == ["chart-sms", "chart-engagement"]


def test_a_bad_range_shows_a_spanish_error_and_keeps_the_default(marketing):
    response = marketing.get(URL, {"desde": "2026-11-30", "hasta": "2026-11-01"})
    assert response.status_code == 200
    assert "debe ser anterior" in response.content.decode()
    assert response.context["end"] == TODAY
    assert marketing.get(URL, {"desde": "mañana"}).status_code == 200


def test_charts_are_accessible_svg_with_spanish_titles_and_a_data_table(marketing):
    bucket(TODAY - datetime.timedelta(days=3), "sms", handed=20, delivered=18, failed=2, requested=20)
    page = marketing.get(URL).content.decode()
    assert page.count('<svg class="chart"') == 3
    assert '<title id="chart-sms-title">SMS: enviados, entregados y fallidos por día</title>' in page
    assert "Aperturas, clics y conversiones por día" in page
    assert 'role="img"' in page
    assert "Ver los datos en tabla" in page
    chart = page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert "http" not in chart.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from the network


def test_blocked_and_deferred_are_listed_by_spanish_reason(marketing):
    bucket(
        TODAY - datetime.timedelta(days=1),
        requested=10,
        blocked=4,
        blocked_by_reason={"cap_sms_daily": 3, "holdout": 1},
        deferred=2,
        deferred_by_reason={"quiet_hours": 2},
    )
    response = marketing.get(URL)
    assert [(label, n) for _c, label, n in response.context["blocked"]] == [
        ("Límite diario de SMS", 3),
        ("Grupo de control", 1),
    ]
    assert response.context["deferred"][0][1:] == ("Fuera de horario permitido (diferido)", 2)


def test_roi_per_segment_shows_attributed_and_incremental_revenue_and_says_insufficient_data(marketing):
    bucket(TODAY - datetime.timedelta(days=5), "sms", "campaign", "vip_high_spend", cost_clp=10_000, revenue_clp=50_000)
    bucket(TODAY - datetime.timedelta(days=5), "email", "vip_newsletter", "new_low_spend", revenue_clp=20_000)
    bucket(TODAY - datetime.timedelta(days=5), "sms", "booking_confirmation", "new_low_spend", cost_clp=99_999)
    lift("vip_high_spend", "30d", TODAY - datetime.timedelta(days=29), TODAY)
    lift("vip_high_spend", "2026-10", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), verdict="x")
    response = marketing.get(URL)
    rows = {r["label"]: r for r in response.context["roi"]}
    vip = rows["VIP · gasto alto"]
    assert (vip["cost"], vip["revenue"], vip["roi"]) == ("$10.000", "$50.000", "400 %")
    assert vip["incremental"] == "$1.250.000"
    assert vip["interval"] == "[−$200.000; $2.700.000]"
    assert vip["verdict"] == "datos insuficientes"
    # A transactional confirmation is not marketing spend; no cost means no ROI.
    assert rows["Nuevo · gasto bajo"]["roi"] == "—"
    page = response.content.decode()
    assert "Ingresos atribuidos (no causal)" in page
    assert "30d" in page


def test_clients_at_or_one_below_their_caps_today_are_listed(marketing, settings):
    capped, near, calm = new_client(nombre="Ana Capada"), new_client(nombre="Berta Cerca"), new_client(nombre="Ciro")
    morning = local(2026, 11, 30, 10)
    for _ in range(2):
        request_message(req(capped, "booking_confirmation", "sms"), now=morning)
    request_message(req(near, "booking_confirmation", "sms"), now=morning)
    request_message(req(calm, "satisfaction_followup", "email"), now=morning)
    response = marketing.get(URL)
    listed = [(c.name, c.sms_today, c.at_limit) for c in response.context["near_caps"]]
    assert listed == [("Ana Capada", 2, True), ("Berta Cerca", 1, False)]
    assert "en el límite" in response.content.decode()


def test_triggers_last_runs_and_pending_segments_are_shown(marketing):
    SweepRun.objects.create(task="trigger:birthday", started_at=NOW, finished_at=NOW, ok=True, counts={"sent": 4})
    SweepRun.objects.create(task="sweep_outbox", started_at=NOW - datetime.timedelta(hours=1), ok=False, error="x")
    request_message(req(new_client(), "manual", "sms"), now=local(2026, 12, 6, 10))  # a Sunday: scheduled
    response = marketing.get(URL)
    runs = {r.task: r for r in response.context["runs"]}
    assert runs["trigger:birthday"].label == "Cumpleaños"
    assert runs["sweep_outbox"].silent
    assert sum(r["total"] for r in response.context["pending"]) == 1
    assert "con error" in response.content.decode()


def test_the_csv_has_one_row_per_segment_and_channel_in_excel_chilean_format(marketing):
    healthy_week(TODAY - datetime.timedelta(days=1))
    lift("vip_high_spend", "30d", TODAY - datetime.timedelta(days=29), TODAY)
    response = marketing.get(CSV_URL, {"desde": "2026-11-01", "hasta": "2026-11-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "comunicaciones_20261101_20261130.csv" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Segmento", "Canal", "Solicitados"]
    assert "Ingresos atribuidos (no causal) CLP" in header
    assert [(r[0], r[1]) for r in body] == [
        ("Regular · gasto medio", "SMS"),
        ("VIP · gasto alto", "Correo electrónico"),
    ]
    sms = dict(zip(header, body[0], strict=True))
    assert sms["Tasa de entrega (%)"] == "98,00"
    assert sms["ROI atribuido"] == "499,00"
    email = dict(zip(header, body[1], strict=True))
    assert email["Veredicto"] == "datos insuficientes"
    assert email["Ingreso incremental del segmento CLP"] == "1250000"


def test_the_csv_follows_the_channel_filter(marketing):
    healthy_week(TODAY - datetime.timedelta(days=1))
    rows = marketing.get(CSV_URL, {"canal": "email"}).content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and ";Correo electrónico;" in rows[1]


def test_the_marketing_role_sees_the_dashboard_and_reception_does_not(client):
    from django.contrib.auth.models import Group, User

    from communications.roles import MARKETING, RECEPCION

    for name, role, expected in [("mkt", MARKETING, 200), ("rec", RECEPCION, 403)]:
        user = User.objects.create_user(name, password="clave-segura-123", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        assert client.get(URL).status_code == expected, role


def test_money_on_the_dashboard_is_written_one_way_like_the_campaign_preview(marketing):
    from django.template import Context, Template

    from ventas.admin import clp

    bucket(TODAY - datetime.timedelta(days=2), "sms", "campaign", "vip_high_spend", handed=7226, cost_clp=86_712)
    html = marketing.get(URL).content.decode()
    cost_table = html[html.index('id="cost-heading"') if 'id="cost-heading"' in html else html.index("Costo (CLP)") :]
    cost_table = cost_table[: cost_table.index("</table>")]
    assert cost_table.count("$86.712") == 2, cost_table  # the channel's row and the total
    assert "$ 86" not in html and "86 712" not in html and "86\xa0712" not in html
    # One filter, the campaign preview's helper: dot thousands, no decimals, minus before the sign.
    rendered = Template("{% load money %}{{ a|clp }} {{ b|clp }} {{ c|clp }} {{ d|clp }}").render(
        Context({"a": 86712, "b": 1234.6, "c": -200000, "d": None})
    )
    assert rendered == "$86.712 $1.235 −$200.000 —"
    assert clp(86712) == "$86.712"
