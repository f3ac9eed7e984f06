"""Campaigns: a staff-built audience, previewed and then sent through the batched gate.

The audience is read in pages of client ids (keyset on the primary key), and each
page goes through the gate as one batch: a bounded number of queries per page,
never one per client. Idempotency keys are deterministic
(``campaign:<campaign>:<cliente>``), so sending twice sends once, and a preview
(the gate's dry run) decides exactly what a send at the same instant would.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ventas.models import Campaign, Cliente
from ventas.segments import SEGMENT_LABELS, SEGMENTS

from .gate import MessageRequest, Outcome, request_messages
from .kinds import KINDS
from .models import Channel, Reason

log = logging.getLogger(__name__)

# The kinds a campaign may send (§4): the generic one, and VIP early access with its own cap.
CAMPAIGN_KINDS = ("campaign", "vip_early_access")
# Clients per page: one audience query and one gate batch (about ten queries) each.
PAGE_SIZE = 1000

# What each gate outcome means for a campaign, in the words staff read.
OUTCOME_LABELS = {
    "queued": _("Se envían ahora"),
    "scheduled": _("Programados o diferidos"),
    "blocked": _("Bloqueados"),
    "duplicate": _("Ya enviados antes (duplicados)"),
}
OUTCOME_ORDER = ("queued", "scheduled", "blocked", "duplicate")
# A scheduled message with no reason is simply waiting for the campaign's send time.
NO_REASON_LABEL = _("Hora de envío de la campaña")


class CampaignError(ValueError):
    """The campaign cannot be sent as configured; the message is Spanish, for staff."""


@dataclass
class Summary:
    """Counts of gate outcomes: per status, per (status, reason) and per segment."""

    total: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)  # reason -> n (blocked, deferred, duplicate)
    by_status_reason: Counter = field(default_factory=Counter)  # (status, reason) -> n
    by_segment: dict = field(default_factory=lambda: defaultdict(Counter))  # segment -> Counter(status)

    def add(self, outcome: Outcome, segment: str) -> None:
        self.total += 1
        self.by_status[outcome.status] += 1
        self.by_status_reason[(outcome.status, outcome.reason)] += 1
        if outcome.reason:
            self.by_reason[outcome.reason] += 1
        self.by_segment[segment][outcome.status] += 1

    def statuses(self) -> dict[str, int]:
        return {s: self.by_status[s] for s in OUTCOME_ORDER if self.by_status[s]}

    def reasons(self, status: str) -> list[tuple[str, str, int]]:
        """(reason, Spanish label, n) of one status, largest first."""
        rows = [(r, reason_label(r), n) for (s, r), n in self.by_status_reason.items() if s == status]
        return sorted(rows, key=lambda row: (-row[2], row[0]))

    def segments(self) -> list[tuple[str, dict[str, int]]]:
        """(segment, {status: n}) in the CRM's segment order."""
        order = {s: i for i, s in enumerate(SEGMENTS)}
        return [
            (segment, {s: counts[s] for s in OUTCOME_ORDER})
            for segment, counts in sorted(self.by_segment.items(), key=lambda kv: order.get(kv[0], len(order)))
        ]


def reason_label(reason: str) -> str:
    if not reason:
        return str(NO_REASON_LABEL)
    try:
        return str(Reason(reason).label)
    except ValueError:
        return reason


def describe(summary: Summary) -> str:
    """One Spanish line: "3 destinatarios: Se envían ahora: 1; Bloqueados: 2 (Sin teléfono: 2)"."""
    parts = []
    for status, n in summary.statuses().items():
        reasons = ", ".join(f"{label}: {count}" for reason, label, count in summary.reasons(status) if reason)
        parts.append(f"{OUTCOME_LABELS[status]}: {n}" + (f" ({reasons})" if reasons else ""))
    head = _("%(n)d destinatarios") % {"n": summary.total}
    return f"{head}: " + "; ".join(parts) if parts else str(head)


def describe_lines(summary: Summary) -> list[str]:
    """The same counts over several lines, with the per-segment split (for the command line)."""
    lines = [str(_("Destinatarios: %(n)d") % {"n": summary.total})]
    for status, n in summary.statuses().items():
        lines.append(f"  {OUTCOME_LABELS[status]}: {n}")
        lines += [f"    - {label}: {count}" for reason, label, count in summary.reasons(status) if reason]
    if summary.total:
        lines.append(str(_("Por segmento:")))
    for segment, counts in summary.segments():
        detail = ", ".join(f"{OUTCOME_LABELS[s]}: {n}" for s, n in counts.items() if n)
        lines.append(f"  {SEGMENT_LABELS.get(segment, segment)}: {detail}")
    return lines


def check_sendable(campaign: Campaign) -> None:
    """Refuse, in Spanish, a campaign the gate could not send as staff meant it."""
    kind = KINDS.get(campaign.kind) if campaign.kind in CAMPAIGN_KINDS else None
    if kind is None:
        raise CampaignError(_("Tipo de mensaje no permitido en una campaña: %(k)s.") % {"k": campaign.kind})
    if campaign.channel not in kind.channels:
        raise CampaignError(
            _("%(kind)s solo se envía por %(channels)s.")
            % {"kind": kind.label, "channels": ", ".join(str(Channel(c).label) for c in kind.channels)}
        )
    unknown = [s for s in campaign.segments or [] if s not in SEGMENTS]
    if unknown:
        raise CampaignError(_("Segmentos desconocidos: %(s)s.") % {"s": ", ".join(map(str, unknown))})
    if campaign.channel == Channel.SMS and not campaign.sms_template.strip():
        raise CampaignError(_("La campaña por SMS necesita una plantilla SMS."))
    if campaign.channel == Channel.EMAIL and not (campaign.email_subject.strip() and campaign.email_body.strip()):
        raise CampaignError(_("La campaña por email necesita asunto y cuerpo."))


def audience(campaign: Campaign):
    """The campaign's clients, annotated with their segment (one aggregate query per read)."""
    qs = Cliente.objects.with_segments()
    if campaign.segments:
        qs = qs.filter(segment__in=campaign.segments)
    if campaign.target_min_visits:
        qs = qs.filter(paid_visits__gte=campaign.target_min_visits)
    if campaign.target_min_spend:
        qs = qs.filter(total_spend__gte=campaign.target_min_spend)
    return qs


def audience_pages(campaign: Campaign, page_size: int = PAGE_SIZE) -> Iterator[list[tuple[int, str]]]:
    """Pages of (cliente id, segment), ascending by id.

    Keyset pages rather than one long cursor: the gate commits a transaction per
    batch between reads, and a server-side cursor held open across those (or
    through a transaction-pooling proxy) is fragile. Each page is one query.
    """
    rows = audience(campaign).order_by("pk").values_list("pk", "segment")
    last = 0
    while True:
        page = list(rows.filter(pk__gt=last)[:page_size])
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        last = page[-1][0]


def build_request(campaign: Campaign, cliente_id: int, now) -> MessageRequest:
    email = campaign.channel == Channel.EMAIL
    # §4: only the generic "campaign" kind follows the campaign's capped setting; a
    # kind with its own rule keeps it (vip_early_access is dropped when capped).
    when_capped = campaign.when_capped if KINDS[campaign.kind].category_by_request else None
    return MessageRequest(
        cliente_id=cliente_id,
        kind=campaign.kind,
        channel=campaign.channel,
        idempotency_key=f"campaign:{campaign.pk}:{cliente_id}",
        # A send time already past means "now" (the gate never schedules into the past).
        at=campaign.send_at if campaign.send_at and campaign.send_at > now else None,
        campaign_id=campaign.pk,
        custom_text=campaign.email_body if email else campaign.sms_template,
        subject=campaign.email_subject if email else "",
        segments=tuple(campaign.segments) or None,
        when_capped=when_capped,
        campaign_holdout_percent=campaign.holdout_percent,
    )


def campaign_requests(campaign: Campaign, now) -> Iterator[MessageRequest]:
    """Every gate request of the campaign, streamed page by page."""
    check_sendable(campaign)
    for page in audience_pages(campaign):
        for cliente_id, _segment in page:
            yield build_request(campaign, cliente_id, now)


def _run(campaign: Campaign, now, *, dry_run: bool, page_size: int) -> Summary:
    check_sendable(campaign)
    summary = Summary()
    for page in audience_pages(campaign, page_size):
        segment_of = dict(page)
        outcomes = request_messages([build_request(campaign, cid, now) for cid, _s in page], now=now, dry_run=dry_run)
        for outcome in outcomes:
            summary.add(outcome, segment_of[outcome.request.cliente_id])
    return summary


def preview(campaign: Campaign, now, *, page_size: int = PAGE_SIZE) -> Summary:
    """What sending at ``now`` would do, client by client, without writing anything."""
    return _run(campaign, now, dry_run=True, page_size=page_size)


def send(campaign: Campaign, now, actor: str, *, page_size: int = PAGE_SIZE) -> Summary:
    """Send the campaign through the gate, page by page. Safe to repeat: a second run only finds duplicates."""
    summary = _run(campaign, now, dry_run=False, page_size=page_size)
    # The first send's time stands; a repeat changes nothing.
    Campaign.objects.filter(pk=campaign.pk, sent_at__isnull=True).update(sent_at=now)
    campaign.refresh_from_db(fields=["sent_at"])
    log.info("campaign %s sent by %s: %s", campaign.pk, actor, dict(summary.by_status))
    return summary
