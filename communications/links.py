"""Absolute URLs that go into email, and the links a sent body contained.

URLs are built from settings.SITE_URL because an email is read far from any
request. The click check (no open redirect) compares a target with the links of
the body stored on the message, found by ``find_links``.
"""

import re
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from . import tokens

# Stop at whitespace, quotes and angle brackets; trailing punctuation belongs to the sentence.
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def find_links(text: str) -> list[str]:
    """Every http(s) URL in ``text``, in order, with sentence punctuation trimmed."""
    return [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text or "")]


def split_links(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_link) parts, so the HTML builder can escape and link them."""
    parts, cursor = [], 0
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        if start > cursor:
            parts.append((text[cursor:start], False))
        parts.append((url, True))
        cursor = end
    if cursor < len(text or ""):
        parts.append((text[cursor:], False))
    return parts


def unsubscribe_token(message) -> str:
    return tokens.make(tokens.UNSUBSCRIBE, message.public_id)


# A marketing email carries three unsubscribe links (the footer's page, the one-click
# header, the mailto). They may share one token, signed once (email_compose.compose).
def unsubscribe_url(message, token: str | None = None) -> str:
    token = token or unsubscribe_token(message)
    return absolute(reverse("communications:unsubscribe", args=[token]))


def one_click_url(message, token: str | None = None) -> str:
    token = token or unsubscribe_token(message)
    return absolute(reverse("communications:one_click", args=[token]))


def preferences_url(message) -> str:
    return absolute(reverse("communications:preferences", args=[tokens.make(tokens.PREFERENCES, message.public_id)]))


def open_pixel_url(message) -> str:
    return absolute(reverse("communications:open", args=[tokens.make(tokens.OPEN, message.public_id)]))


def click_url(message, target: str) -> str:
    return absolute(reverse("communications:click", args=[tokens.make(tokens.CLICK, message.public_id, u=target)]))


def unsubscribe_mailto(message, token: str | None = None) -> str:
    # The token in the subject lets whoever reads that mailbox find the message without
    # trusting the From address; it holds no email address.
    token = token or unsubscribe_token(message)
    return f"mailto:{settings.UNSUBSCRIBE_MAILTO}?subject={quote('baja ' + token)}"
