"""A notice at the top of the admin index: replies waiting for staff.

Used by templates/admin/base_site.html (``{% staff_notices %}``). Templates that stop
messages are the ``template_error`` alert (communications.stats.alerts, shown by
``{% alert_banner %}``): one banner for one problem, deduplicated and resolved there.
"""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communications.feedback.replies import count_to_review

register = template.Library()


@register.inclusion_tag("communications/admin/staff_notices.html", takes_context=True)
def staff_notices(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return {"notices": []}
    notices = []
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
