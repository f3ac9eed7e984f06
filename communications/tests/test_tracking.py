"""Open pixel and click redirect: engagement on the message and as CampaignInteractions, no open redirect."""

import datetime

import pytest
from django.core import mail

from communications import links, tokens
from ventas.models import CampaignInteraction
from ventas.tests.factories import CampaignFactory, ClienteFactory

from .conftest import put_template, send_email

pytestmark = pytest.mark.django_db

PERSON = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
LINK = "https://aremko.cl/reservas"


@pytest.fixture
def sent():
    put_template(
        kind="welcome_7", channel="email", subject="Hola", body=f"Hola {{{{ nombre }}}}:\n\nReserva en {LINK}."
    )
    return send_email(ClienteFactory(), "welcome_7", campaign_id=CampaignFactory().pk)


def open_path(message):
    return f"/c/o/{tokens.make(tokens.OPEN, message.public_id)}/"


def click_path(message, url=LINK):
    return f"/c/l/{tokens.make(tokens.CLICK, message.public_id, u=url)}/"


def test_the_pixel_records_a_human_open_once(client, sent):
    for _ in range(2):
        response = client.get(open_path(sent), HTTP_USER_AGENT=PERSON)
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    sent.refresh_from_db()
    assert sent.opened_at is not None and not sent.machine_open
    opened = CampaignInteraction.objects.get(interaction_type="email_opened")
    assert opened.campaign_id == sent.campaign_id and opened.cliente_id == sent.cliente_id
    assert not sent.responded  # an open alone is not a response


def test_an_open_seconds_after_sending_is_a_machine_open(client, time_machine):
    put_template(kind="welcome_7", channel="email", subject="Hola", body="Hola")
    sent = send_email(ClienteFactory(), "welcome_7")
    time_machine.move_to(sent.sent_at + datetime.timedelta(seconds=3), tick=False)
    client.get(open_path(sent), HTTP_USER_AGENT=PERSON)
    sent.refresh_from_db()
    assert sent.opened_at is not None and sent.machine_open
    assert not CampaignInteraction.objects.filter(interaction_type="email_opened").exists()


MACHINES = ["Mozilla/5.0", "", "Barracuda Sentinel (EE)", "Mozilla/5.0 (compatible; bingbot/2.0)"]


@pytest.mark.parametrize("agent", MACHINES)
def test_privacy_proxies_and_scanners_are_machine_opens(client, sent, agent):
    client.get(open_path(sent), HTTP_USER_AGENT=agent)
    sent.refresh_from_db()
    assert sent.machine_open
    assert not CampaignInteraction.objects.filter(interaction_type="email_opened").exists()


def test_a_person_opening_after_a_proxy_turns_it_into_a_human_open(client, sent):
    client.get(open_path(sent), HTTP_USER_AGENT="Mozilla/5.0")
    client.get(open_path(sent), HTTP_USER_AGENT=PERSON)
    sent.refresh_from_db()
    assert not sent.machine_open
    assert CampaignInteraction.objects.filter(interaction_type="email_opened").count() == 1


def test_a_click_redirects_to_the_link_and_counts_as_a_response(client, sent):
    response = client.get(click_path(sent), HTTP_USER_AGENT=PERSON)
    assert response.status_code == 302
    assert response["Location"] == LINK
    assert response["Referrer-Policy"] == "no-referrer"
    sent.refresh_from_db()
    assert sent.clicked_at is not None and sent.responded
    assert sent.opened_at is not None and not sent.machine_open
    clicked = CampaignInteraction.objects.get(interaction_type="email_clicked")
    assert clicked.details["url"] == LINK and clicked.campaign_id == sent.campaign_id


def test_the_click_links_in_the_sent_html_work(client, sent):
    html = mail.outbox[0].alternatives[0][0]
    [tracked] = [u for u in links.find_links(html) if "/c/l/" in u]
    response = client.get(tracked.removeprefix("http://testserver"), HTTP_USER_AGENT=PERSON)
    assert response["Location"] == LINK


def test_a_signed_click_to_a_link_that_was_not_in_the_message_does_not_redirect(client, sent):
    response = client.get(click_path(sent, "https://evil.example/phish"), HTTP_USER_AGENT=PERSON)
    assert response.status_code == 404
    assert "Location" not in response
    sent.refresh_from_db()
    assert sent.clicked_at is None


def test_a_link_scanner_following_the_link_is_redirected_but_is_not_engagement(client, sent):
    response = client.get(click_path(sent), HTTP_USER_AGENT="Proofpoint URL Defense")
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.clicked_at is None and not sent.responded
    assert sent.machine_open
