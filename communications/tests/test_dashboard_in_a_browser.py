"""Staff use the dashboard in a real browser: log in, read tiles and charts, change the range, download the CSV.

Debian's Chromium (/usr/bin/chromium) driven by Playwright, as in the unsubscribe
browser test; without it the test fails, it is never skipped. The screenshot at
1366 px is kept in test-artifacts/ for people reviewing the layout.
"""

import datetime
import random

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from communications import calendar as cal
from communications.models import Alert, SweepRun
from ventas.segments import SEGMENTS

from .dashboard_helpers import bucket, lift, staff_user
from .test_unsubscribe_in_a_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

PASSWORD = "clave-segura-123"


def a_month_of_traffic(today: datetime.date) -> None:
    rng = random.Random(7)
    for i in range(45):
        day = today - datetime.timedelta(days=i)
        for segment in SEGMENTS[:6]:
            handed = rng.randint(20, 60)
            failed = rng.randint(0, 2)
            bucket(
                day,
                "sms",
                rng.choice(["campaign", "reactivation_sms", "vip_early_access"]),
                segment,
                requested=handed + 6,
                blocked=4,
                blocked_by_reason={"cap_sms_daily": 3, "opted_out": 1},
                deferred=2,
                deferred_by_reason={"quiet_hours": 2},
                expired=2,
                handed=handed,
                sent=handed,
                delivered=handed - failed,
                failed=failed,
                conversions=rng.randint(0, 4),
                revenue_clp=rng.randint(0, 4) * 45_000,
                cost_clp=handed * 12,
                opt_outs=rng.randint(0, 1),
            )
            sent = rng.randint(30, 80)
            bucket(
                day,
                "email",
                rng.choice(["vip_newsletter", "reactivation_email", "welcome_1"]),
                segment,
                requested=sent,
                handed=sent,
                sent=sent,
                delivered=sent - 1,
                bounces=1,
                opens=int(sent * rng.uniform(0.25, 0.45)),
                clicks=int(sent * rng.uniform(0.03, 0.09)),
                conversions=rng.randint(0, 2),
                revenue_clp=rng.randint(0, 2) * 60_000,
            )
    for segment in SEGMENTS[:6]:
        lift(segment, "30d", today - datetime.timedelta(days=29), today)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_read_the_dashboard_change_the_range_and_download_the_csv(live_server, tmp_path):
    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    now = timezone.now()
    today = cal.localdate(now)
    a_month_of_traffic(today)
    SweepRun.objects.create(task="sweep_outbox", started_at=now, finished_at=now, ok=True, counts={"promoted": 3})
    SweepRun.objects.create(task="trigger:birthday", started_at=now, finished_at=now, ok=True, counts={"sent": 2})
    Alert.objects.create(
        code="cap_pressure", severity="warning", detail="31,0 % del marketing bloqueado por límites: 124 de 400."
    )
    staff_user("marketing").set_password(PASSWORD)
    marketing = staff_user("gerencia")
    marketing.set_password(PASSWORD)
    marketing.save()
    reception = staff_user("recepcion", dashboard=False)
    reception.set_password(PASSWORD)
    reception.save()
    start = today - datetime.timedelta(days=13)
    ARTIFACTS.mkdir(exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 900}, locale="es-CL", accept_downloads=True
            )
            page = context.new_page()
            page.goto(f"{live_server.url}/admin/communications/dashboard/")
            assert "/admin/login/" in page.url
            page.fill("#id_username", "gerencia")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/communications/dashboard/")
            tiles = page.locator(".tile").all_inner_texts()
            chart_titles = page.locator("svg.chart title[id$='-title']").all_text_contents()
            chart_has_lines = page.locator("svg.chart polyline").count()
            chart_box = page.locator("#chart-sms svg").bounding_box()
            banner = page.locator("#alert-banner").inner_text()
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            page.fill("#id_desde", start.isoformat())
            page.click("input[type=submit][value=Aplicar]")
            page.wait_for_url("**desde=*")
            range_text = page.locator(".dash-filters").inner_text()
            with page.expect_download() as download_info:
                page.click("#export-csv")
            download = download_info.value
            csv_path = tmp_path / download.suggested_filename
            download.save_as(csv_path)
            context.close()

            other = browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CL")
            page = other.new_page()
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "recepcion")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/")
            forbidden = page.goto(f"{live_server.url}/admin/communications/dashboard/")
            forbidden_status = forbidden.status
            other.close()
        finally:
            browser.close()

    assert any(t.startswith("Entrega SMS") and "Meta: > 95,0 %" in t for t in tiles)
    assert any("Apertura email" in t and "Clics" in t for t in tiles)
    assert "SMS: enviados, entregados y fallidos por día" in chart_titles
    assert "Aperturas, clics y conversiones por día" in chart_titles
    assert chart_has_lines >= 6
    assert chart_box["width"] > 400 and chart_box["height"] > 100
    assert "Mucho marketing bloqueado por los límites" in banner
    assert f"Del {start:%d/%m/%Y} al {today:%d/%m/%Y}" in range_text
    assert download.suggested_filename == f"comunicaciones_{start:%Y%m%d}_{today:%Y%m%d}.csv"
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Segmento;Canal;Solicitados")
    assert len(lines) == 1 + 6 * 2  # six segments × two channels
    assert forbidden_status == 403
