"""System check: every stored template works for its kind (``manage.py check --database default``, migrate).

A database check, as Django intends for checks that read rows: plain ``check``
stays static. A warning, not an error: a broken template must not stop a
deploy or a migration that may be what fixes it (``check_templates`` exits 1).
"""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections


@register(Tags.database)
def stored_templates_work(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    from .kinds import KINDS
    from .template_checks import stored_template_problems

    try:
        if "communications_messagetemplate" not in connections["default"].introspection.table_names():
            return []  # before the first migrate
        found = stored_template_problems()
    except DatabaseError:
        return []
    return [
        Warning(
            "; ".join(problems),
            hint=f"Plantilla {KINDS[row.kind].label if row.kind in KINDS else row.kind} ({row.channel}), "
            f"{field}: corrígela en el admin o revisa con manage.py check_templates.",
            obj=row,
            id="communications.W001",
        )
        for row, field, problems in found
    ]
