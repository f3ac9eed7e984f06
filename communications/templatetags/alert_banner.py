"""The open-alerts banner every admin page shows (templates/admin/base_site.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("admin/communications/alert_banner.html", takes_context=True)
def alert_banner(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.is_active and user.is_staff):
        return {"alerts": []}
    from communications.stats.alerts import open_alerts, title

    alerts = [{"title": title(a.code), "alert": a} for a in open_alerts()[:10]]
    return {"alerts": alerts, "can_see_dashboard": user.has_perm("communications.view_dashboard")}
