"""Signed tokens for links in email: unsubscribe, preference centre, open pixel, click.

A token signs the message's random ``public_id`` (never an email address or a
sequential id) with a salt per purpose, so a token made for the open pixel does
not unsubscribe anyone. Tokens carry their signing time and expire after
EMAIL_LINK_MAX_AGE_DAYS: people open old mail, so the validity is long.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
OPEN = "open"
CLICK = "click"
PURPOSES = (UNSUBSCRIBE, PREFERENCES, OPEN, CLICK)


class InvalidToken(Exception):
    """Tampered, truncated, made for another purpose, or malformed."""


class ExpiredToken(InvalidToken):
    """Genuine but older than EMAIL_LINK_MAX_AGE_DAYS."""


def _salt(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose: {purpose!r}")
    return f"communications.email.{purpose}"


def make(purpose: str, public_id: uuid.UUID, **extra) -> str:
    payload = {"m": public_id.hex, **extra}
    return signing.dumps(payload, salt=_salt(purpose), compress=True)


def read(purpose: str, token: str) -> dict:
    """The payload with ``m`` as a UUID; raises InvalidToken / ExpiredToken."""
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=timedelta(days=settings.EMAIL_LINK_MAX_AGE_DAYS))
    except signing.SignatureExpired as exc:
        raise ExpiredToken(purpose) from exc
    except signing.BadSignature as exc:
        raise InvalidToken(purpose) from exc
    except (ValueError, UnicodeDecodeError) as exc:  # a genuine signature over junk cannot happen, but be safe
        raise InvalidToken(purpose) from exc
    try:
        return {**payload, "m": uuid.UUID(hex=payload["m"])}
    except (TypeError, KeyError, ValueError) as exc:
        raise InvalidToken(purpose) from exc
