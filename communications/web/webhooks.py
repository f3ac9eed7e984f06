"""Bounce and complaint webhook for the email provider.

Authentication: ``Authorization: Bearer <EMAIL_WEBHOOK_SECRET>``, compared in
constant time. Body: one JSON event or a list of up to 100:

    {"type": "hard_bounce" | "soft_bounce" | "complaint",
     "message": "<our X-Aremko-Message id or the Message-ID>",   # or
     "email": "address",                                         # when no message id is known
     "id": "provider event id (optional, for deduplication)"}

When ``EMAIL_WEBHOOK_SIGNING_SECRET`` is set, every request must also carry
``X-Aremko-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``,
within ±300 s of our clock and not seen before in that window: a captured request
cannot be replayed, and a body cannot be altered on the way.

Answers: 200 for accepted events and for unknown messages (so the provider stops
retrying), 401 for bad credentials or signature, 400 for a body of the wrong shape,
404 while no secret is configured, 429 after repeated refusals from one address.
Never a 500 for bad input.
"""

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..bounces import COMPLAINT, HARD, SOFT, find_message, record_bounce
from .limits import limited_by_ip

log = logging.getLogger(__name__)

# The provider's vocabulary, translated once.
EVENT_KINDS = {"hard_bounce": HARD, "soft_bounce": SOFT, "complaint": COMPLAINT}
MAX_EVENTS = 100


class BadShape(ValueError):
    pass


def _authorized(request) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    secret = settings.EMAIL_WEBHOOK_SECRET
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), secret.encode())


def signature_valid(header: str, body: bytes, secret: str, now: float | None = None) -> bool:
    """Check ``t=…,v1=…`` against the raw body; each (t, v1) pair is accepted once."""
    parts = dict(item.strip().partition("=")[::2] for item in header.split(",") if "=" in item)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        return False
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > settings.EMAIL_WEBHOOK_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        return False
    # Replay: the same signed request twice inside the window is refused the second time.
    seen_for = 2 * settings.EMAIL_WEBHOOK_TOLERANCE_SECONDS
    return cache.add(f"communications:webhook-sig:{stamp}:{given[:64]}", 1, seen_for)


def _events(body: bytes) -> list[dict]:
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadShape("body is not JSON") from exc
    events = data if isinstance(data, list) else [data]
    if not events or len(events) > MAX_EVENTS:
        raise BadShape(f"expected 1 to {MAX_EVENTS} events")
    for event in events:
        if not isinstance(event, dict) or event.get("type") not in EVENT_KINDS:
            raise BadShape("each event needs a known type")
        reference, email, event_id = event.get("message", ""), event.get("email", ""), event.get("id", "")
        if not all(isinstance(v, str) for v in (reference, email, event_id)) or not (reference or email):
            raise BadShape("each event needs a message id or an email, as strings")
    return events


@csrf_exempt  # a provider posts without cookies; the bearer secret authenticates it
@require_POST
@limited_by_ip
def email_webhook(request):
    if not settings.EMAIL_WEBHOOK_SECRET:
        return JsonResponse({"error": "webhook disabled"}, status=404)
    if not _authorized(request):
        response = JsonResponse({"error": "unauthorized"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    signing = settings.EMAIL_WEBHOOK_SIGNING_SECRET
    if signing and not signature_valid(request.headers.get("X-Aremko-Signature", ""), request.body, signing):
        return JsonResponse({"error": "bad signature"}, status=401)
    try:
        events = _events(request.body)
    except BadShape as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    accepted = unknown = 0
    for event in events:
        kind = EVENT_KINDS[event["type"]]
        message = find_message(event.get("message", ""))
        target = message if message is not None else event.get("email", "")
        raw = {k: v for k, v in event.items() if k != "email"}  # the ledger keeps no address
        result = record_bounce(target, kind, raw, event_id=event.get("id", "")[:100], provider="webhook")
        if result.recorded or result.cliente_ids:
            accepted += 1
        else:
            unknown += 1
    log.info("email webhook: %d accepted, %d unknown", accepted, unknown)
    return JsonResponse({"accepted": accepted, "unknown": unknown})
