"""Campaigns: a staff-built audience, previewed and then sent through the batched gate.

The audience is read in pages of client ids (keyset on the primary key), and each
page goes through the gate as one batch: a bounded number of queries per page,
never one per client. Idempotency keys are deterministic
(``campaign:<campaign>:<cliente>``), so sending twice sends once, and a preview
(the gate's dry run) decides exactly what a send at the same instant would.
"""

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ventas.models import Campaign, Cliente
from ventas.segments import SEGMENT_LABELS, SEGMENTS, paid_figures, segment_for

from . import calendar as cal
from .gate import MessageRequest, Outcome, request_messages
from .kinds import KINDS
from .models import Channel, Reason, Status
from .rendering import TemplateError, render_string

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
# Segments are money: the text is counted with a long real first name, so a campaign
# that fits with "Ana" cannot cost an extra segment (or fail over the limit) for a long name.
LONGEST_NAME = "Maximiliano"
LONGEST_FULL_NAME = "Maximiliano Hernández Valenzuela"
SAMPLE_CLIENT = {"nombre": LONGEST_NAME, "nombre_completo": LONGEST_FULL_NAME}


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
    by_day: Counter = field(default_factory=Counter)  # local day a scheduled message will go -> n
    stopped: bool = False

    def add(self, outcome: Outcome, segment: str) -> None:
        self.total += 1
        self.by_status[outcome.status] += 1
        self.by_status_reason[(outcome.status, outcome.reason)] += 1
        if outcome.reason:
            self.by_reason[outcome.reason] += 1
        self.by_segment[segment][outcome.status] += 1
        if outcome.status == Status.SCHEDULED and outcome.decision.scheduled_for:
            self.by_day[cal.localdate(outcome.decision.scheduled_for)] += 1

    @property
    def sendable(self) -> int:
        """Messages that go now or later (each costs money; duplicates and blocked do not)."""
        return self.by_status["queued"] + self.by_status["scheduled"]

    def deferred_days(self) -> list[tuple[datetime.date, int]]:
        return sorted(self.by_day.items())

    def as_json(self) -> dict:
        """Plain data for CampaignRun.summary; from_json reads it back."""
        return {
            "total": self.total,
            "by_status_reason": [[st, r, n] for (st, r), n in sorted(self.by_status_reason.items())],
            "by_segment": {seg: dict(c) for seg, c in self.by_segment.items()},
            "by_day": {d.isoformat(): n for d, n in sorted(self.by_day.items())},
            "stopped": self.stopped,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        summary = cls(total=data.get("total", 0), stopped=data.get("stopped", False))
        for status, reason, n in data.get("by_status_reason", []):
            summary.by_status[status] += n
            summary.by_status_reason[(status, reason)] += n
            if reason:
                summary.by_reason[reason] += n
        for segment, counts in data.get("by_segment", {}).items():
            summary.by_segment[segment].update(counts)
        summary.by_day.update({datetime.date.fromisoformat(d): n for d, n in data.get("by_day", {}).items()})
        return summary

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
    if campaign.channel == Channel.SMS:
        from .channels.sms.preview import segment_limit_message

        sms = sms_preview(campaign)
        if sms.over_limit:
            raise CampaignError(segment_limit_message(sms))
    else:
        content_preview(campaign)  # an email with an unknown variable would be blocked for every client


def check_can_send(campaign: Campaign, now) -> None:
    """Only an active campaign inside its dates is sent; a paused or finished one is only previewed."""
    if campaign.status != Campaign.Status.ACTIVE:
        raise CampaignError(
            _("La campaña está «%(status)s»: solo una campaña «Activa» se puede enviar.")
            % {"status": campaign.get_status_display()}
        )
    today = cal.localdate(now)
    if campaign.start_date and today < campaign.start_date:
        raise CampaignError(
            _("La campaña empieza el %(d)s; aún no se puede enviar.") % {"d": f"{campaign.start_date:%d-%m-%Y}"}
        )
    if campaign.end_date and today > campaign.end_date:
        raise CampaignError(
            _("La campaña terminó el %(d)s; ya no se puede enviar.") % {"d": f"{campaign.end_date:%d-%m-%Y}"}
        )


def sms_preview(campaign: Campaign):
    """The campaign SMS as a client with a long name reads it (opt-out line included), counted and priced.

    Raises CampaignError when the text cannot be rendered.
    """
    from .channels.sms.preview import preview_sms

    problems = content_problems(campaign.sms_template)
    if problems:
        raise CampaignError(_("La plantilla SMS no se puede usar: %(e)s") % {"e": " ".join(problems)})
    try:
        return preview_sms(campaign.sms_template, campaign.kind, context=SAMPLE_CLIENT)
    except TemplateError as exc:
        raise CampaignError(_("La plantilla SMS no se puede usar: %(e)s") % {"e": exc}) from exc


# The campaign's copy fields; the SMS text is also held to SMS_MAX_SEGMENTS (counted with SAMPLE_CLIENT).
CONTENT_FIELDS = ("sms_template", "email_subject", "email_body")
# A campaign's messages carry no trigger context (build_request sets none), so whatever its
# kind they provide what a "campaign" message does: the client's name, the system's links and
# services, and the recommendations. vip_early_access's {{ novedad }} is typed by staff when
# they send one by hand, never by a campaign: accepting it would block every message.
CONTENT_VARIABLES_KIND = "campaign"


def content_problems(text: str) -> list[str]:
    """Spanish problems of one copy text: the template admin's check (template_checks), same words.

    Unknown variables, typos and broken tags (``{{ nombre,``) are refused; the segment
    limit is checked by the caller, with a long sample name.
    """
    from .template_checks import template_problems

    return template_problems(CONTENT_VARIABLES_KIND, text or "")


@dataclass(frozen=True)
class ContentPreview:
    """What one client receives, and what one message costs."""

    subject: str
    text: str
    segments: int | None = None
    cost_clp: int = 0
    accents_removed: bool = False


def content_preview(campaign: Campaign) -> ContentPreview:
    if campaign.channel == Channel.SMS:
        sms = sms_preview(campaign)
        return ContentPreview("", sms.text, sms.segments, sms.cost_clp)
    from .template_checks import sample_context

    problems = [p for name in ("email_subject", "email_body") for p in content_problems(getattr(campaign, name))]
    if problems:
        raise CampaignError(_("El email no se puede usar: %(e)s") % {"e": " ".join(problems)})
    context = {**sample_context(CONTENT_VARIABLES_KIND), **SAMPLE_CLIENT}
    try:
        return ContentPreview(
            render_string(campaign.email_subject, context), render_string(campaign.email_body, context)
        )
    except TemplateError as exc:
        raise CampaignError(_("El email no se puede usar: %(e)s") % {"e": exc}) from exc


def total_cost_clp(campaign: Campaign, summary: Summary) -> int:
    """What the messages that go (now or later) cost; email has no per-message price."""
    if campaign.channel != Channel.SMS:
        return 0
    return summary.sendable * sms_preview(campaign).cost_clp


def empty_segments(campaign: Campaign, summary: Summary) -> list[str]:
    """Chosen segments with no client in the audience (a VIP tier that is empty is worth knowing)."""
    return [s for s in campaign.segments or [] if not sum(summary.by_segment.get(s, {}).values())]


def audience_filters(campaign: Campaign) -> list[tuple[str, str]]:
    """Every filter that narrows the audience, as (Spanish label, value) for the preview header."""
    from ventas.admin import clp

    rows = [
        (
            str(_("Segmentos")),
            ", ".join(str(SEGMENT_LABELS[s]) for s in campaign.segments or []) or str(_("Todos los segmentos")),
        )
    ]
    if campaign.target_min_visits:
        rows.append((str(_("Visitas mínimas")), str(campaign.target_min_visits)))
    if campaign.target_min_spend:
        rows.append((str(_("Gasto mínimo")), clp(campaign.target_min_spend)))
    return rows


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
    """Pages of (cliente id, segment) of the audience, ascending by id; the same clients as ``audience``.

    Keyset pages rather than one long cursor: the gate commits a transaction per
    batch between reads, and a server-side cursor held open across those (or
    through a transaction-pooling proxy) is fragile. Each step reads the next
    page_size client ids (an index range) and the paid figures of just those
    clients (``paid_figures``): ``audience`` itself, a LEFT JOIN with GROUP BY,
    re-reads on PostgreSQL every booking before the page, quadratic over the base.
    Two queries per step; the filter is applied here, with the segment thresholds
    the SQL annotation agrees with.
    """
    segments = set(campaign.segments or [])
    page, last = [], 0
    while True:
        ids = list(Cliente.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:page_size])
        figures = paid_figures(ids) if ids else {}
        for cliente_id in ids:
            visits, spend = figures.get(cliente_id, (0, 0))
            segment = segment_for(visits, spend)
            if segments and segment not in segments:
                continue
            if visits < (campaign.target_min_visits or 0) or spend < (campaign.target_min_spend or 0):
                continue
            page.append((cliente_id, segment))
        if len(page) >= page_size:
            yield page[:page_size]
            page = page[page_size:]
        if len(ids) < page_size:
            if page:
                yield page
            return
        last = ids[-1]


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
        optimize_send_time=campaign.optimize_send_time,
    )


def campaign_requests(campaign: Campaign, now) -> Iterator[MessageRequest]:
    """Every gate request of the campaign, streamed page by page."""
    check_sendable(campaign)
    for page in audience_pages(campaign):
        for cliente_id, _segment in page:
            yield build_request(campaign, cliente_id, now)


# Called after each page with the counts so far; returning False stops before the next page.
Progress = Callable[[Summary, int], bool]


def _run(campaign: Campaign, now, *, dry_run: bool, page_size: int, progress: Progress | None = None) -> Summary:
    check_sendable(campaign)
    summary = Summary()
    processed = 0
    for page in audience_pages(campaign, page_size):
        segment_of = dict(page)
        outcomes = request_messages([build_request(campaign, cid, now) for cid, _s in page], now=now, dry_run=dry_run)
        for outcome in outcomes:
            summary.add(outcome, segment_of[outcome.request.cliente_id])
        processed += len(page)
        if progress is not None and progress(summary, processed) is False:
            summary.stopped = True
            break
    return summary


def preview(campaign: Campaign, now, *, page_size: int = PAGE_SIZE, progress: Progress | None = None) -> Summary:
    """What sending at ``now`` would do, client by client, without writing anything."""
    return _run(campaign, now, dry_run=True, page_size=page_size, progress=progress)


def send(
    campaign: Campaign, now, actor: str, *, page_size: int = PAGE_SIZE, progress: Progress | None = None
) -> Summary:
    """Send the campaign through the gate, page by page. Safe to repeat: a second run only finds duplicates.

    The caller checks ``check_can_send`` first (status and dates), before marking the campaign as sending.
    """
    summary = _run(campaign, now, dry_run=False, page_size=page_size, progress=progress)
    # The first send's time stands; a repeat changes nothing.
    Campaign.objects.filter(pk=campaign.pk, sent_at__isnull=True).update(sent_at=now)
    campaign.refresh_from_db(fields=["sent_at"])
    log.info("campaign %s sent by %s: %s", campaign.pk, actor, dict(summary.by_status))
    return summary


@dataclass
class Results:
    """A campaign's messages as they stand: per status (with reasons), replies, opt-outs, cost."""

    total: int = 0
    rows: list = field(default_factory=list)  # (status, Spanish label, n, [(reason label, n)])
    replies: int = 0
    opt_outs: int = 0
    cost_clp: int = 0


# The order staff read a campaign's outcome in.
RESULT_ORDER = (
    Status.SCHEDULED,
    Status.QUEUED,
    Status.SENDING,
    Status.SENT,
    Status.DELIVERED,
    Status.UNKNOWN,
    Status.FAILED,
    Status.BLOCKED,
    Status.CANCELLED,
    Status.EXPIRED,
)


def results(campaign: Campaign) -> Results:
    from django.db.models import Count, Sum

    from .models import ConsentEvent, Message

    grouped = (
        Message.objects.filter(campaign=campaign)
        .values("status", "reason")
        .annotate(n=Count("pk"), replied=Count("replied_at"), cost=Sum("cost_clp"))
        .order_by()
    )
    by_status: dict[str, list] = defaultdict(list)
    out = Results()
    for row in grouped:
        by_status[row["status"]].append((row["reason"], row["n"]))
        out.total += row["n"]
        out.replies += row["replied"]
        out.cost_clp += row["cost"] or 0
    for status in RESULT_ORDER:
        if status in by_status:
            reasons = sorted(((reason_label(r), n) for r, n in by_status[status] if r), key=lambda x: -x[1])
            out.rows.append((status.value, str(status.label), sum(n for _r, n in by_status[status]), reasons))
    out.opt_outs = (
        ConsentEvent.objects.filter(message__campaign=campaign, granted=False).values("cliente_id").distinct().count()
    )
    return out
