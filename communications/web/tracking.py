"""Open pixel and click redirect.

Both are reached through signed tokens. The redirect only goes to a link that
was in the body sent on that message: a token alone cannot send anyone
elsewhere, so the endpoint is no open redirect even if a token leaked.
"""

import base64

from django.http import HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import engagement, links, tokens
from .common import LinkProblem, message_from, problem_page
from .limits import limited

# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _user_agent(request) -> str:
    return request.headers.get("User-Agent", "")[:300]


@require_http_methods(["GET", "HEAD"])
@limited(tokens.OPEN)
def open_pixel(request, token):
    try:
        message, _payload = message_from(tokens.OPEN, token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    if request.method == "GET":
        engagement.record_open(message, user_agent=_user_agent(request))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


@require_http_methods(["GET", "HEAD"])
@limited(tokens.CLICK)
def click(request, token):
    try:
        message, payload = message_from(tokens.CLICK, token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    target = payload.get("u")
    if not isinstance(target, str) or target not in links.find_links(message.body):
        return problem_page(
            request,
            LinkProblem(404, _("Enlace no disponible"), _("Este enlace no forma parte del mensaje que te enviamos.")),
        )
    if request.method == "GET":
        engagement.record_click(message, target, user_agent=_user_agent(request))
    response = HttpResponseRedirect(target)
    # The destination must not learn the tracking token from the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
