"""Send one Message row as email through Django's email backends.

SMTP answers are classified once, here: 5xx for a recipient is permanent, 4xx
and connection trouble are transient; a timeout after DATA may have delivered
the mail, so it is ambiguous and never resent blindly.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .errors import AmbiguousError, ConfigurationError, PermanentError, TransientError
from .receipt import Receipt


def build(message, subject: str, body: str) -> EmailMultiAlternatives:
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.destination],
        headers={"X-Aremko-Message": str(message.public_id)},
    )


def send(message, subject: str, body: str) -> Receipt:
    email = build(message, subject, body)
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except smtplib.SMTPAuthenticationError as exc:
        raise ConfigurationError("SMTP authentication failed") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(400 <= c < 500 for c in codes):
            raise TransientError("recipient temporarily refused") from exc
        raise PermanentError("recipient refused", reason="provider_rejected", detail=str(codes)) from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientError(f"SMTP {exc.smtp_code}") from exc
        raise PermanentError(f"SMTP {exc.smtp_code}", detail=str(exc.smtp_code)) from exc
    except TimeoutError as exc:
        raise AmbiguousError("SMTP timeout") from exc
    except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as exc:
        raise TransientError(type(exc).__name__) from exc
    return Receipt(provider="email", body=body)
