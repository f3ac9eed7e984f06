"""Unsubscribe and preference centre pages, authenticated by signed tokens.

- GET of any page only shows: it never changes consent (mail scanners follow links).
- The unsubscribe page's button POSTs with a CSRF token (source UNSUBSCRIBE_LINK).
- The one-click URL (List-Unsubscribe, RFC 8058) takes a cookie-less POST from the
  mailbox provider, so it is csrf_exempt: the signed token is its authentication,
  and Gmail/Yahoo require that it unsubscribes at once, without a page.
- Every change goes through communications.preferences (api.opt_out / opt_in):
  a ConsentEvent per change, and queued messages that are now forbidden cancelled.
"""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import links, tokens
from ..models import ConsentEvent
from ..policy import Prefs
from ..preferences import CHOICES, KEYS, apply_choices, current_choices, unsubscribe_from_marketing_email
from .common import LinkProblem, message_from, page, problem_page
from .limits import limited


def _evidence(request, message, **extra) -> dict:
    # Proof of the request without personal data: which message's link, which way it came.
    return {"message": str(message.public_id), "kind": message.kind, "method": request.method, **extra}


def _prefs(message) -> Prefs:
    from ..models import ClientPreferences

    return Prefs.of(ClientPreferences.objects.filter(cliente_id=message.cliente_id).first())


def _unsubscribe_page(request, message, *, done: bool, changed: bool = False, status: int = 200):
    context = {
        "message": message,
        "done": done,
        "changed": changed,
        "already": not done and not _prefs(message).accepts_marketing_email,
        "preferences_url": links.preferences_url(message),
    }
    return page(request, "communications/web/unsubscribe.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@limited(tokens.UNSUBSCRIBE, never_refuse_post=True)
def unsubscribe(request, token):
    try:
        message, _payload = message_from(tokens.UNSUBSCRIBE, token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    if request.method != "POST":
        return _unsubscribe_page(request, message, done=False)
    event = unsubscribe_from_marketing_email(
        message.cliente_id,
        source=ConsentEvent.Source.UNSUBSCRIBE_LINK,
        evidence=_evidence(request, message),
        message_id=message.pk,
    )
    return _unsubscribe_page(request, message, done=True, changed=event is not None)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@limited(tokens.UNSUBSCRIBE, never_refuse_post=True)
def one_click(request, token):
    """RFC 8058 one-click: a POST unsubscribes at once and idempotently; a GET only shows the page."""
    try:
        message, _payload = message_from(tokens.UNSUBSCRIBE, token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    if request.method != "POST":
        return _unsubscribe_page(request, message, done=False)
    body = request.POST.get("List-Unsubscribe", "")
    event = unsubscribe_from_marketing_email(
        message.cliente_id,
        source=ConsentEvent.Source.ONE_CLICK,
        evidence=_evidence(request, message, one_click=body == "One-Click"),
        message_id=message.pk,
    )
    return _unsubscribe_page(request, message, done=True, changed=event is not None)


@require_http_methods(["GET", "HEAD", "POST"])
@limited(tokens.PREFERENCES)
def preferences(request, token):
    try:
        message, _payload = message_from(tokens.PREFERENCES, token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    saved = False
    if request.method == "POST":
        wanted = {key: request.POST.get(key) == "on" for key in KEYS}
        apply_choices(
            message.cliente_id,
            wanted,
            source=ConsentEvent.Source.PREFERENCE_CENTER,
            evidence=_evidence(request, message, choices=wanted),
        )
        saved = True
    current = current_choices(_prefs(message))
    rows = [(channel, [(c, current[c.key]) for c in CHOICES if c.channel == channel]) for channel in ("email", "sms")]
    context = {"rows": rows, "saved": saved, "message": message}
    return page(request, "communications/web/preferences.html", context)
