"""The weekly report: the previous ISO week, once, after Monday 08:00 local, over real SMTP with its CSV."""

import datetime
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from communications.models import Alert, SweepRun, WeeklyReport
from communications.stats import report
from communications.tests.helpers import local

from .dashboard_helpers import bucket, healthy_week, lift

pytestmark = pytest.mark.django_db

MONDAY_0759 = local(2026, 11, 30, 7, 59)
MONDAY_0800 = local(2026, 11, 30, 8, 0)
LAST_WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026


@pytest.fixture
def recipients(settings):
    settings.REPORT_EMAILS = ["gerencia@aremko.cl", "marketing@aremko.cl"]
    return settings.REPORT_EMAILS


def test_the_due_week_is_the_one_before_the_latest_monday_8_am_local():
    assert report.due_week(MONDAY_0800) == LAST_WEEK
    assert report.due_week(MONDAY_0759) == "2026-W47"
    assert report.due_week(local(2026, 12, 6, 23, 59)) == LAST_WEEK  # the following Sunday night
    assert report.due_week(local(2027, 1, 4, 8)) == "2026-W53"  # 2026 has 53 ISO weeks


def test_iso_weeks_are_parsed_strictly_with_spanish_errors():
    assert report.week_range("2026-W48") == (datetime.date(2026, 11, 23), datetime.date(2026, 11, 29))
    with pytest.raises(ValueError, match="AAAA-Sss"):
        report.week_range("48/2026")
    with pytest.raises(ValueError, match="no existe"):
        report.week_range("2025-W53")


def test_the_hourly_task_sends_last_weeks_report_once_with_its_csv_over_smtp(smtp_server, recipients):
    from communications.tasks import send_weekly_report

    healthy_week(datetime.date(2026, 11, 29))
    healthy_week(datetime.date(2026, 11, 22), per_day=80)
    lift("vip_high_spend", "30d", datetime.date(2026, 10, 31), datetime.date(2026, 11, 29))
    Alert.objects.create(
        code="complaint_rate",
        severity="critical",
        first_seen=local(2026, 11, 25, 10),
        resolved_at=local(2026, 11, 26, 10),
        detail="0,20 % de quejas",
    )
    Alert.objects.create(
        code="queue_stale", severity="critical", first_seen=local(2026, 11, 10), resolved_at=local(2026, 11, 11)
    )

    WeeklyReport.objects.create(week="2026-W47", sent_at=local(2026, 11, 23, 8, 5))  # last Monday's
    for hour in range(6, 12):  # beat's hourly runs on Monday morning
        with time_machine.travel(local(2026, 11, 30, hour, 5), tick=False):
            send_weekly_report()

    [received] = smtp_server.parsed()
    assert sorted(smtp_server.envelopes[0][1]) == sorted(recipients)
    assert received["Subject"] == "Informe semanal de comunicaciones 2026-W48 (23/11 al 29/11/2026)"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Entrega SMS: 98,0 % (meta > 95,0 %, en meta; 686 / 700). Semana anterior: 97,5 % (+0,5 pp)." in text
    assert "Ingresos atribuidos (no causal)" in text
    assert "VIP · gasto alto" in text and "datos insuficientes" in text
    assert "Tasa de quejas de spam sobre 0,1 % (7 días)" in text
    assert "Mensajes en cola hace más de 15 minutos" not in text  # resolved before the week began
    assert "<table" in html and "Retorno por segmento" in html
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "comunicaciones_2026-W48.csv"
    data = attachment.get_payload(decode=True)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("Segmento;Canal;Solicitados")
    assert WeeklyReport.objects.filter(week=LAST_WEEK).count() == 1
    runs = SweepRun.objects.filter(task="send_weekly_report").order_by("started_at")
    assert [r.counts["sent"] for r in runs] == [False, False, True, False, False, False]


def test_a_missed_monday_is_caught_up_by_the_next_run(smtp_server, recipients):
    with time_machine.travel(local(2026, 12, 1, 14), tick=False):  # beat was down all Monday
        result = report.send_due(local(2026, 12, 1, 14))
    assert (result.week, result.sent) == (LAST_WEEK, True)
    assert len(smtp_server.received) == 1


def test_a_failed_send_is_not_recorded_so_the_next_hour_retries(smtp_server, recipients):
    smtp_server.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(smtplib.SMTPDataError):
        report.send_due(MONDAY_0800)
    assert not WeeklyReport.objects.exists()
    smtp_server.data_reply = ""
    assert report.send_due(MONDAY_0800 + timedelta(hours=1)).sent


def test_the_command_reruns_send_nothing_unless_to_is_given(smtp_server, recipients, capsys):
    bucket(datetime.date(2026, 11, 24), requested=10, handed=10, delivered=10)
    call_command("send_weekly_report", "--week", LAST_WEEK)
    call_command("send_weekly_report", "--week", LAST_WEEK)
    assert len(smtp_server.received) == 1
    out = capsys.readouterr().out
    assert "enviado a 2 destinatarios" in out and "ya se envió" in out
    call_command("send_weekly_report", "--week", LAST_WEEK, "--to", "revisor@aremko.cl")
    assert len(smtp_server.received) == 2
    assert smtp_server.envelopes[1][1] == ["revisor@aremko.cl"]
    assert WeeklyReport.objects.count() == 1


def test_the_dry_run_prints_the_report_and_sends_nothing(smtp_server, recipients, capsys):
    call_command("send_weekly_report", "--week", LAST_WEEK, "--dry-run")
    out = capsys.readouterr().out
    assert "Informe semanal de comunicaciones 2026-W48" in out
    assert "Simulación: nada se envió." in out
    assert smtp_server.received == [] and not WeeklyReport.objects.exists()


def test_bad_command_input_is_a_clear_spanish_error(recipients, settings):
    with pytest.raises(CommandError, match="Semana no válida"):
        call_command("send_weekly_report", "--week", "la pasada")
    with pytest.raises(CommandError, match="no válida"):
        call_command("send_weekly_report", "--to", "no-es-un-email")
    settings.REPORT_EMAILS = []
    with pytest.raises(CommandError, match="REPORT_EMAILS"):
        call_command("send_weekly_report", "--week", LAST_WEEK)
