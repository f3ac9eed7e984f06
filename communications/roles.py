"""Staff roles as Django groups, least privilege (shared/specs/trust.md).

- Recepción: clients, bookings, the VIP call list, recording opt-outs and opt-ins
  (the law requires honouring them on any channel) and sending transactional messages.
- Marketing: campaigns, templates, triggers, the dashboard and its CSV.
- Administración: everything, including personal-data exports, erasure, marking a
  message or campaign transactional and reading the audit trail.

Groups are synced after every ``migrate`` (post_migrate), idempotently: permission
rows do not exist yet during a data migration on a fresh database. A group's
permissions are set to exactly this list, so editing the list and migrating is how
a role changes (and the audit trail records users' group changes).
"""

import logging

from django.contrib.auth.models import Group, Permission

log = logging.getLogger(__name__)

RECEPCION, MARKETING, ADMINISTRACION = "Recepción", "Marketing", "Administración"

_CLIENT_READ = [
    "ventas.view_cliente",
    "ventas.view_servicio",
    "ventas.view_ventareserva",
    "ventas.view_reservaservicio",
]

ROLES: dict[str, list[str]] = {
    RECEPCION: [
        *_CLIENT_READ,
        "ventas.add_cliente",
        "ventas.change_cliente",
        "ventas.add_ventareserva",
        "ventas.change_ventareserva",
        "ventas.add_reservaservicio",
        "ventas.change_reservaservicio",
        "ventas.delete_reservaservicio",
        "ventas.view_inactivevipcall",
        # "Registrar llamada" on the call list is a change of the call-list row.
        "ventas.change_inactivevipcall",
        "ventas.view_campaigninteraction",
        "ventas.add_campaigninteraction",
        # Opt-outs and opt-ins on the client page; the ledger and the client's messages beside them.
        "communications.view_clientpreferences",
        "communications.add_clientpreferences",
        "communications.change_clientpreferences",
        "communications.view_consentevent",
        "communications.view_message",
        "communications.send_transactional",
        # The replies inbox: a client who writes "no me manden más" has opted out (Ley 19.496);
        # the person who reads it must be able to record it.
        "communications.view_smsreply",
        "communications.change_smsreply",
        "communications.apply_opt_out",
    ],
    MARKETING: [
        *_CLIENT_READ,
        "ventas.view_campaign",
        "ventas.add_campaign",
        "ventas.change_campaign",
        "ventas.view_campaigninteraction",
        "communications.view_messagetemplate",
        "communications.add_messagetemplate",
        "communications.change_messagetemplate",
        "communications.view_triggersetting",
        "communications.change_triggersetting",
        "communications.view_message",
        "communications.cancel_pending",
        "communications.view_dashboard",
        "communications.view_alert",
        # Send batches read-only: how a campaign went out (counts, no personal data).
        "communications.view_sendbatch",
    ],
}


def resolve(names: list[str]) -> tuple[list[Permission], list[str]]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = list(
        Permission.objects.select_related("content_type").filter(codename__in={codename for _app, codename in wanted})
    )
    found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    have = {f"{p.content_type.app_label}.{p.codename}" for p in found}
    return found, sorted(set(names) - have)


def sync_roles(**kwargs) -> dict[str, int]:
    """Create or update the three groups; returns {group: number of permissions}."""
    result = {}
    for role, names in ROLES.items():
        permissions, missing = resolve(names)
        if missing:
            log.warning("role %s: permissions not found (yet): %s", role, ", ".join(missing))
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)
        result[role] = len(permissions)
    admin, _created = Group.objects.get_or_create(name=ADMINISTRACION)
    every = Permission.objects.all()
    admin.permissions.set(every)
    result[ADMINISTRACION] = every.count()
    return result


def connect(app_config) -> None:
    from django.db.models.signals import post_migrate

    # Sent once per app, in INSTALLED_APPS order; communications comes last, so by its
    # turn every app's permissions (created by auth's own post_migrate receiver) exist.
    post_migrate.connect(sync_roles, sender=app_config, dispatch_uid="communications.sync_roles")
