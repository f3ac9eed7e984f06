"""Campaign previews and sends as Celery tasks with progress, and "Detener campaña".

The admin request only writes a CampaignRun and starts ``tasks.run_campaign`` on
commit; the task walks the audience page by page through the batched gate
(``campaigns``), saves the counts after each page (the admin polls them) and
checks the stop flag between pages. Starting a send is idempotent: while a send
run of the campaign is pending or running, or once the campaign has been sent,
a second click returns that run, so the page reports the real result instead of
"597 duplicados".
"""

import logging

from django.db import transaction
from django.utils import timezone

from ventas.models import Campaign

from . import actions, audit, campaigns
from .models import CampaignRun, Message, Reason

log = logging.getLogger(__name__)
Mode, State = CampaignRun.Mode, CampaignRun.State


def start_preview(campaign: Campaign, actor: str) -> CampaignRun:
    campaigns.check_sendable(campaign)
    with transaction.atomic():
        run = CampaignRun.objects.create(
            campaign=campaign, mode=Mode.PREVIEW, requested_by=actor[:150], total=campaigns.audience(campaign).count()
        )
        audit.record(audit.AuditEvent.Action.CAMPAIGN_PREVIEWED, actor=actor, obj=campaign, after={"run": run.pk})
        _start_on_commit(run)
    return run


def start_send(campaign: Campaign, actor: str, now=None) -> tuple[CampaignRun, bool]:
    """(run, started): the new send run, or the one already under way or finished for this campaign.

    Raises CampaignError (Spanish) when the campaign cannot be sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Serialises two clicks on the same campaign: the second sees the first's run.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        latest = campaign.runs.filter(mode=Mode.SEND).order_by("-created_at", "-id").first()
        if latest and (not latest.finished or campaign.status != Campaign.Status.ACTIVE):
            return latest, False
        campaigns.check_sendable(campaign)
        campaigns.check_can_send(campaign, now)
        run = CampaignRun.objects.create(
            campaign=campaign,
            mode=Mode.SEND,
            requested_by=actor[:150],
            total=campaigns.audience(campaign).count(),
            created_at=now,
        )
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
        audit.record(
            audit.AuditEvent.Action.CAMPAIGN_SENT,
            actor=actor,
            obj=campaign,
            before={"estado": campaign.status},
            after={"estado": Campaign.Status.SENDING, "run": run.pk, "audiencia": run.total},
        )
        _start_on_commit(run)
    log.info("campaign %s send run %s started by staff", campaign.pk, run.pk)
    return run, True


def stop(campaign: Campaign, actor: str, now=None) -> int:
    """Detener campaña: stop its runs between pages and cancel its pending messages; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        CampaignRun.objects.filter(campaign=campaign, state__in=CampaignRun.ACTIVE_STATES).update(stop_requested=True)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.STOPPED)
        cancelled = _cancel_pending(campaign.pk, actor, now)
        audit.record(
            audit.AuditEvent.Action.CAMPAIGN_STOPPED, actor=actor, obj=campaign, after={"cancelados": cancelled}
        )
    log.info("campaign %s stopped by staff: %d pending message(s) cancelled", campaign.pk, cancelled)
    return cancelled


def _cancel_pending(campaign_id: int, actor: str, now) -> int:
    return actions.cancel_messages(
        Message.objects.filter(campaign_id=campaign_id),
        Reason.STAFF_CANCELLED,
        detail=f"campaña detenida por {actor}",
        now=now,
    )


def _start_on_commit(run: CampaignRun) -> None:
    """Publish the run's task once the request commits; a broker that is down leaves it to the sweep."""
    transaction.on_commit(lambda: _publish(run.pk))


def _publish(run_id: int) -> bool:
    from .dispatch import publish
    from .tasks import run_campaign

    return publish(run_campaign, (run_id,), what="campaign run")


def republish_pending(created_before) -> int:
    """The outbox sweep's part: runs still pending (their publish failed or the broker lost it).

    A run is claimed from pending once (``execute``), so a second task for it does nothing.
    """
    published = 0
    for run_id in CampaignRun.objects.filter(state=State.PENDING, created_at__lte=created_before).values_list(
        "pk", flat=True
    )[:100]:
        if not _publish(run_id):
            break
        published += 1
    return published


def execute(run_id: int, *, page_size: int = campaigns.PAGE_SIZE, now=None) -> CampaignRun | None:
    """The task's body: run the preview or the send, saving progress after each page."""
    now = now or timezone.now()
    claimed = CampaignRun.objects.filter(pk=run_id, state=State.PENDING).update(state=State.RUNNING, started_at=now)
    if not claimed:
        # Already running elsewhere or finished: a redelivered task does nothing.
        return CampaignRun.objects.filter(pk=run_id).first()
    run = CampaignRun.objects.select_related("campaign").get(pk=run_id)
    campaign = run.campaign

    def progress(summary: campaigns.Summary, processed: int) -> bool:
        CampaignRun.objects.filter(pk=run.pk).update(processed=processed, summary=summary.as_json())
        return not CampaignRun.objects.filter(pk=run.pk, stop_requested=True).exists()

    try:
        if CampaignRun.objects.filter(pk=run.pk, stop_requested=True).exists():
            summary = campaigns.Summary(stopped=True)
        elif run.mode == Mode.SEND:
            summary = campaigns.send(campaign, now, run.requested_by, page_size=page_size, progress=progress)
        else:
            summary = campaigns.preview(campaign, now, page_size=page_size, progress=progress)
    except campaigns.CampaignError as exc:
        _finish(run, State.FAILED, error=str(exc))
        if run.mode == Mode.SEND:
            Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
                status=Campaign.Status.ACTIVE
            )
        return CampaignRun.objects.get(pk=run.pk)

    if summary.stopped:
        # A page may have committed after "Detener" cancelled: cancel what it queued too.
        if run.mode == Mode.SEND:
            _cancel_pending(campaign.pk, run.requested_by, timezone.now())
        _finish(run, State.STOPPED, summary=summary)
    else:
        _finish(run, State.DONE, summary=summary)
        if run.mode == Mode.SEND:
            Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(status=Campaign.Status.SENT)
    return CampaignRun.objects.get(pk=run.pk)


def _finish(run: CampaignRun, state: str, *, summary: campaigns.Summary | None = None, error: str = "") -> None:
    fields = {"state": state, "finished_at": timezone.now(), "error": error[:500]}
    if summary is not None:
        fields["summary"] = summary.as_json()
        fields["processed"] = summary.total
    CampaignRun.objects.filter(pk=run.pk).update(**fields)
