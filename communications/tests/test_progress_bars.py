"""Long commands show a progress bar on a terminal and print nothing extra in logs and CI."""

import io
import sys

import pytest
import time_machine
from django.core.management import call_command

from communications.tests.helpers import local
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

TODAY = "2026-11-25"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def demo():
    with time_machine.travel(local(2026, 11, 25, 10), tick=False):
        yield


def long_commands():
    """Each long command with arguments that finish quickly on a small demo, and its bar's label."""
    from django.contrib.auth import get_user_model

    campaign = CampaignFactory(name="Primavera")
    get_user_model().objects.get_or_create(username="operador", defaults={"is_staff": True})
    return [
        (("seed_demo", "--clients", "30", "--seed", "3", "--today", TODAY, "--history-days", "30"), "Historial:"),
        (("simulate", "--days", "1", "--start", f"{TODAY} 08:00", "--quiet"), "Simulando:"),
        (("send_campaign", str(campaign.pk), "--dry-run", "--actor", "operador"), "Clientes:"),
        (("refresh_stats", "--days", "3"), "Recalculando:"),
        (("score_clients", "--chunk", "10"), "Puntuando:"),
        (("churn_evaluate", "--cutoff", "2026-03-01", "--horizon-days", "90"), "Evaluando:"),
        (("recommend_evaluate", "--cutoff", "2026-06-01T00:00"), "Evaluando:"),
        (("sendtime_evaluate", "--cutoff", "2026-11-01T00:00"), "Evaluando:"),
    ]


def test_with_stderr_not_a_terminal_the_long_commands_print_nothing_to_stderr(demo, capsys):
    for command, _label in long_commands():
        call_command(*command, stdout=io.StringIO(), stderr=io.StringIO())
        assert capsys.readouterr().err == "", command[0]


def test_on_a_terminal_each_long_command_shows_a_bar(demo, monkeypatch):
    for command, label in long_commands():
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        call_command(*command, stdout=io.StringIO(), stderr=io.StringIO())
        monkeypatch.undo()
        assert label in terminal.getvalue(), command[0]
