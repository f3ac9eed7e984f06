"""Rate limits for the public URLs under /c/ (shared/specs/trust.md).

- A request whose token does not verify is limited per client IP: guessing tokens
  or flooding with garbage costs the attacker, not the database.
- A request with a valid token is limited per token (a leaked link replayed in a loop).
- A valid unsubscribe POST (page or RFC 8058 one-click) is never refused: mailbox
  providers send one-click from a few shared IPs, and a 429 there would be an opt-out
  not honoured (Ley 19.496 art. 28 B).
A limited request gets 429 before the view runs: no query, no write. Counters live in
the shared cache (CACHE_URL); without one they are per process (README).
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .. import tokens

WINDOW_SECONDS = 60


def client_ip(request) -> str:
    """The caller's address; behind N trusted proxies, the Nth address from the right of X-Forwarded-For."""
    hops = settings.RATE_LIMIT_TRUSTED_PROXIES
    if hops:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def hit(key: str, limit: int) -> bool:
    """Count one request in the current window; True while within ``limit``."""
    if limit <= 0:
        return True
    key = f"communications:rl:{key}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: a new window starts
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def too_many() -> HttpResponse:
    response = HttpResponse(
        _("Demasiadas solicitudes. Intenta de nuevo en un minuto.") + "\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(WINDOW_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def limited(purpose: str, *, never_refuse_post: bool = False):
    """Decorate a view taking ``token``: limit by IP when the token fails, by token when it verifies."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, token, *args, **kwargs):
            try:
                tokens.read(purpose, token)
            except tokens.InvalidToken:
                if not hit(f"ip:{client_ip(request)}", settings.RATE_LIMIT_INVALID_PER_IP):
                    return too_many()
                return view(request, token, *args, **kwargs)
            if not (never_refuse_post and request.method == "POST"):
                digest = hashlib.sha256(token.encode()).hexdigest()[:32]
                if not hit(f"token:{digest}", settings.RATE_LIMIT_PER_TOKEN):
                    return too_many()
            return view(request, token, *args, **kwargs)

        return wrapper

    return decorate


def limited_by_ip(view):
    """For endpoints without a token (webhooks): refused authentication costs the caller's IP."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = f"ip:{client_ip(request)}"
        limit = settings.RATE_LIMIT_INVALID_PER_IP
        if limit > 0 and (cache.get(f"communications:rl:{key}") or 0) >= limit:
            return too_many()
        response = view(request, *args, **kwargs)
        if response.status_code in (400, 401, 403):
            hit(key, limit)
        return response

    return wrapper
