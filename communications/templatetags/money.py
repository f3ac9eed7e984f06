"""``{{ amount|clp }}``: Chilean pesos on staff pages, the one way ("$86.712"), never ``intcomma``'s "86 712"."""

from django import template

from communications.stats import kpis

register = template.Library()


@register.filter
def clp(value):
    """ventas.admin.clp for templates; "—" for no figure (None or an empty value)."""
    if value in (None, ""):
        return "—"
    return kpis.clp(value)
