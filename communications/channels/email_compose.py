"""Compose one Message as an email: text and HTML parts, footer and list headers.

The text part is the rendered body plus a footer; the HTML part is built from
that same text (escaped by the template engine, URLs turned into links) inside
the branded layout, with its CSS inlined because most email clients drop
<style> blocks. The text part is what ``Message.body`` stores, so every link the
HTML can carry is also in the stored body: the click redirect checks against it.

Law and mailbox rules behind the footer and headers:
- Ley 19.496 art. 28 B: every commercial message names the sender and offers a
  way to stop them (the visible unsubscribe link and the company's address).
- Gmail/Yahoo bulk sender rules and RFC 8058: marketing mail carries
  List-Unsubscribe with an HTTPS one-click URL and List-Unsubscribe-Post.
- Transactional mail (a booking confirmation) has no list to leave; it links
  to the preference centre instead.
"""

from dataclasses import dataclass, field
from email.utils import make_msgid, parseaddr
from functools import lru_cache

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .. import links
from ..models import Category

LAYOUT = "communications/email/base.html"
_INLINER = css_inline.CSSInliner(keep_style_tags=False)


@dataclass(frozen=True)
class ComposedEmail:
    subject: str
    text: str  # exactly what goes out as text/plain (and is stored on the message)
    html: str
    headers: dict = field(default_factory=dict)
    message_id: str = ""


def is_marketing(message) -> bool:
    return message.category == Category.MARKETING


def one_line(subject: str) -> str:
    """A header must not carry line breaks (a context value could smuggle one in)."""
    return " ".join((subject or "").split())


def footer_lines(message, token: str | None = None) -> list[tuple[str, str]]:
    """The footer as (text, url) pairs; url is "" for plain lines. Used by both parts.

    ``token``: the message's unsubscribe token, when the caller signed it already.
    """
    identity = f"{settings.COMPANY_NAME} · {settings.COMPANY_ADDRESS}"
    if is_marketing(message):
        return [
            (_("Recibes este correo porque eres cliente de %(company)s.") % {"company": settings.COMPANY_NAME}, ""),
            (_("Para no recibir más correos promocionales, date de baja aquí:"), links.unsubscribe_url(message, token)),
            (identity, ""),
        ]
    return [
        (_("Este es un mensaje de servicio sobre tus reservas."), ""),
        (_("Elige qué mensajes quieres recibir:"), links.preferences_url(message)),
        (identity, ""),
    ]


def text_part(body: str, footer: list[tuple[str, str]]) -> str:
    lines = [f"{text} {url}" if url else text for text, url in footer]
    return f"{body.strip()}\n\n-- \n" + "\n".join(lines) + "\n"


def paragraphs(body: str, message, track: bool, templates: dict | None = None) -> list[list[list[tuple[str, str]]]]:
    """Paragraphs -> lines -> (text, href) pieces; href "" for plain text. The template escapes.

    Only links written in the template (or by the system) become links: see rendering.trusted_links.
    """
    from ..rendering import trusted_links

    exact, prefixes = trusted_links(message, templates)
    result = []
    for block in body.strip().split("\n\n"):
        lines = []
        for line in block.split("\n"):
            pieces = []
            for piece, is_link in links.split_links(line):
                is_link = is_link and (piece in exact or piece.startswith(prefixes))
                href = (links.click_url(message, piece) if track else piece) if is_link else ""
                pieces.append((piece, href))
            lines.append(pieces)
        result.append(lines)
    return result


def html_part(subject: str, body: str, message, footer: list[tuple[str, str]], templates: dict | None = None) -> str:
    track = settings.EMAIL_TRACKING
    html = render_to_string(
        LAYOUT,
        {
            "subject": subject,
            "paragraphs": paragraphs(body, message, track, templates),
            "footer": footer,
            "marketing": is_marketing(message),
            "company_name": settings.COMPANY_NAME,
            "pixel_url": links.open_pixel_url(message) if track else "",
        },
    )
    return _INLINER.inline(html)


def list_headers(message, token: str | None = None) -> dict:
    if not is_marketing(message):
        return {}
    return {
        "List-Unsubscribe": f"<{links.one_click_url(message, token)}>, <{links.unsubscribe_mailto(message, token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def sender_domain() -> str:
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


@lru_cache(maxsize=8)
def _domain_of(from_email: str) -> str:
    # Parsed once per sender address, not once per email.
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def compose(message, subject: str, body: str, templates: dict | None = None) -> ComposedEmail:
    """Subject and body come already rendered (communications.rendering) from the restricted context.

    ``templates``: a batch's template cache (rendering.Renderer.templates), so the trusted
    links of a kind's template are read once per batch.
    """
    with translation.override(settings.LANGUAGE_CODE):
        subject = one_line(subject)
        # Signed once for the footer link and both List-Unsubscribe targets.
        token = links.unsubscribe_token(message) if is_marketing(message) else None
        footer = footer_lines(message, token)
        message_id = make_msgid(domain=sender_domain())
        headers = {
            "Message-ID": message_id,
            "X-Aremko-Message": str(message.public_id),
            **list_headers(message, token),
        }
        return ComposedEmail(
            subject=subject,
            text=text_part(body, footer),
            html=html_part(subject, body, message, footer, templates),
            headers=headers,
            message_id=message_id,
        )
