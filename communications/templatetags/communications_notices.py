"""Notices at the top of every admin page: templates that stopped messages, replies waiting for staff.

Used by templates/admin/base_site.html (``{% staff_notices %}``). Until the alerts of
the dashboard land, this banner is how a broken template reaches staff: one typo
blocks every message of its kind, reminders included, so it is shown everywhere.
"""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communications.feedback.replies import count_to_review
from communications.kinds import KINDS
from communications.models import Channel
from communications.template_checks import recent_template_failures

register = template.Library()


@register.inclusion_tag("communications/admin/staff_notices.html", takes_context=True)
def staff_notices(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return {"notices": []}
    notices = []
    failures = recent_template_failures(timezone.now())
    if failures:
        listed = ", ".join(
            f"{KINDS[kind].label if kind in KINDS else kind} ({Channel(channel).label}): {n}"
            for kind, channel, n in failures
        )
        notices.append(
            {
                "level": "error",
                "text": _(
                    "Mensajes detenidos por un error en su plantilla en las últimas 24 horas: %(list)s. "
                    "Corrige la plantilla: los siguientes mensajes de ese tipo también se bloquearán."
                )
                % {"list": listed},
                "url": reverse("admin:communications_message_changelist") + "?reason__exact=template_error",
                "link": _("Ver los mensajes"),
            }
        )
    match = getattr(request, "resolver_match", None)
    on_index = match is not None and match.url_name == "index" and match.namespace == "admin"
    if on_index and user.has_perm("communications.view_smsreply"):
        n = count_to_review()
        if n:
            notices.append(
                {
                    "level": "warning",
                    "text": ngettext(
                        "Hay %(n)d respuesta de clientes por revisar.",
                        "Hay %(n)d respuestas de clientes por revisar.",
                        n,
                    )
                    % {"n": n},
                    "url": reverse("admin:communications_smsreply_changelist") + "?por_revisar=1",
                    "link": _("Abrir respuestas por revisar"),
                }
            )
    return {"notices": notices}
