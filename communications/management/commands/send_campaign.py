"""Preview or send a campaign from the command line, through the same gate as the admin."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import audit, campaigns
from communications.progress import advance_to, progress
from ventas.models import Campaign

from ._actor import add_actor_argument, resolve_actor


class Command(BaseCommand):
    help = _("Envía una campaña (o, con --dry-run, muestra qué pasaría) pasando por todas las reglas.")

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int, help=_("id de la campaña"))
        parser.add_argument("--dry-run", action="store_true", help=_("muestra los conteos sin escribir ni enviar nada"))
        add_actor_argument(parser)

    def handle(self, *args, campaign_id, dry_run, actor, **options):
        actor = resolve_actor(actor)
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(_("No existe la campaña %(id)s.") % {"id": campaign_id})
        now = timezone.now()

        def track(summary, processed):
            advance_to(bar, processed)

        try:
            with progress(total=campaigns.audience(campaign).count(), desc=_("Clientes"), unit=_("clientes")) as bar:
                if dry_run:
                    summary = campaigns.preview(campaign, now, progress=track)
                else:
                    campaigns.check_can_send(campaign, now)
                    summary = campaigns.send(campaign, now, actor=actor, progress=track)
        except campaigns.CampaignError as exc:
            raise CommandError(str(exc)) from exc
        audit.record(
            audit.AuditEvent.Action.CAMPAIGN_PREVIEWED if dry_run else audit.AuditEvent.Action.CAMPAIGN_SENT,
            actor=actor,
            obj=campaign,
            after={"resumen": summary.as_json()},
            from_command=True,
        )
        prefix = _("[simulación] ") if dry_run else ""
        self.stdout.write(prefix + _("Campaña «%(name)s» (%(id)s)") % {"name": campaign.name, "id": campaign.pk})
        for line in campaigns.describe_lines(summary):
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(_("Enviada."))
