"""Preview or send a campaign from the command line, through the same gate as the admin."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import campaigns
from communications.progress import advance_to, progress
from ventas.models import Campaign


class Command(BaseCommand):
    help = _("Envía una campaña (o, con --dry-run, muestra qué pasaría) pasando por todas las reglas.")

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int, help=_("id de la campaña"))
        parser.add_argument("--dry-run", action="store_true", help=_("muestra los conteos sin escribir ni enviar nada"))

    def handle(self, *args, campaign_id, dry_run, **options):
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
                    summary = campaigns.send(campaign, now, actor="manage.py send_campaign", progress=track)
        except campaigns.CampaignError as exc:
            raise CommandError(str(exc)) from exc
        prefix = _("[simulación] ") if dry_run else ""
        self.stdout.write(prefix + _("Campaña «%(name)s» (%(id)s)") % {"name": campaign.name, "id": campaign.pk})
        for line in campaigns.describe_lines(summary):
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(_("Enviada."))
