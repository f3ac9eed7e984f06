"""SMTP answers become the error class the send task acts on (retry, fail, pause, or do not resend)."""

import smtplib

import pytest

from communications.channels.email import BouncedError, classify_open_error, classify_refusal, classify_send_error
from communications.channels.errors import AmbiguousError, ConfigurationError, PermanentError, TransientError


@pytest.mark.parametrize(
    "code, text",
    [
        (550, "5.1.1 The email account that you tried to reach does not exist"),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound"),
        (553, "5.1.2 Bad destination domain"),
        (550, "5.2.1 Mailbox disabled"),
        (550, "No such user here"),
        (551, "User not local"),
    ],
)
def test_address_level_refusals_are_hard_bounces(code, text):
    error = classify_refusal(code, text)
    assert isinstance(error, BouncedError)
    assert error.reason == "email_undeliverable"


@pytest.mark.parametrize(
    "code, text",
    [
        (554, "5.7.1 Message rejected as spam"),
        (550, "5.7.26 Unauthenticated email is not accepted (DMARC policy)"),
        (552, "5.3.4 Message size exceeds fixed limit"),
        (550, "Message blocked by policy"),
        (554, "Transaction failed"),
    ],
)
def test_other_permanent_refusals_fail_the_message_but_not_the_address(code, text):
    error = classify_refusal(code, text)
    assert isinstance(error, PermanentError) and not isinstance(error, BouncedError)
    assert error.reason == "provider_rejected"


@pytest.mark.parametrize("code, text", [(451, "4.7.1 Greylisted"), (452, "4.2.2 Mailbox full"), (550, "4.4.1 odd")])
def test_temporary_refusals_are_retried(code, text):
    assert isinstance(classify_refusal(code, text), TransientError)


def test_details_never_keep_the_address_the_server_echoed():
    error = classify_refusal(550, b"5.1.1 <ana@example.cl>: Recipient address rejected")
    assert "ana@example.cl" not in error.detail
    assert error.detail.startswith("550 5.1.1")


def test_a_refused_recipient_is_classified_by_its_own_answer():
    exc = smtplib.SMTPRecipientsRefused({"ana@example.cl": (550, b"5.1.1 User unknown")})
    assert isinstance(classify_send_error(exc), BouncedError)


def test_a_refused_sender_is_a_setup_problem_that_pauses_the_channel():
    exc = smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "comunicaciones@aremko.cl")
    assert isinstance(classify_send_error(exc), ConfigurationError)


def test_a_timeout_or_hang_up_mid_transaction_is_ambiguous_and_never_resent():
    assert isinstance(classify_send_error(TimeoutError()), AmbiguousError)
    assert isinstance(classify_send_error(smtplib.SMTPServerDisconnected()), AmbiguousError)


def test_failing_to_connect_is_transient_and_bad_credentials_are_configuration():
    assert isinstance(classify_open_error(ConnectionRefusedError()), TransientError)
    assert isinstance(classify_open_error(TimeoutError()), TransientError)
    assert isinstance(classify_open_error(smtplib.SMTPAuthenticationError(535, b"bad")), ConfigurationError)
