"""Health and metrics endpoints. Unauthenticated health answers carry no personal data."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


def _answer(checks: dict) -> JsonResponse:
    ok, results = health.run(checks)
    return JsonResponse({"estado": "ok" if ok else "error", "checks": results}, status=200 if ok else 503)


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. No dependency is touched."""
    return JsonResponse({"estado": "ok", "checks": {}})


@never_cache
@require_GET
def readyz(request):
    return _answer(health.READINESS)


@never_cache
@require_GET
def system(request):
    return _answer(health.SYSTEM)


def metrics_allowed(authorization: str, remote: str) -> bool:
    """A bearer token (compared in constant time) or an address in the allowlist."""
    token = settings.METRICS_TOKEN
    if token and authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization[7:].encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


@never_cache
@require_GET
def metrics(request):
    if not metrics_allowed(request.headers.get("Authorization", ""), request.META.get("REMOTE_ADDR", "")):
        return HttpResponse("No autorizado\n", status=401, content_type="text/plain; charset=utf-8")
    from .metrics import render_web_metrics

    body, content_type = render_web_metrics()
    return HttpResponse(body, content_type=content_type)
