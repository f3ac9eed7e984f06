"""The gate: the only code that decides and writes messages.

For a batch of requests, in one transaction per chunk:
  lock each client's CommunicationLimit row (stable order) -> read consent,
  contact details, segment and cap usage -> decide (communications.policy) ->
  write every Message as queued, scheduled or blocked -> enqueue the queued
  ones when the transaction commits.

A single request is a batch of one, so the single and batched gates cannot
disagree. Queries per chunk are bounded (about eight, whatever its size).
On PostgreSQL the row locks serialise concurrent workers per client; on
SQLite the IMMEDIATE transaction (settings) serialises all writers.
"""

import dataclasses
import datetime
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from . import bulk_insert, suppression
from . import calendar as cal
from .kinds import Kind, get_kind
from .models import COUNTED_STATUSES, Category, ClientPreferences, CommunicationLimit, Message, Reason, Status
from .ops import metrics
from .policy import ClientFacts, Decision, Prefs, Usage, decide

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Negative control for the concurrency proof only: with locking off the race must show.
LOCKING = True


@dataclass
class MessageRequest:
    cliente_id: int
    kind: str
    idempotency_key: str
    channel: str | None = None
    at: datetime.datetime | None = None
    category: str | None = None  # campaign / manual only
    context: dict = field(default_factory=dict)
    campaign_id: int | None = None
    reserva_id: int | None = None
    custom_text: str = ""
    subject: str = ""
    expires_at: datetime.datetime | None = None
    segments: tuple[str, ...] | None = None  # segment rule: only these segments may receive it
    when_capped: str | None = None  # campaign setting: "defer" | "drop"
    # The campaign's own holdout share; None = read it from the campaign row.
    campaign_holdout_percent: int | None = None
    # Send-time optimisation for a campaign that opts in (the marketing kinds in send_slot.KINDS
    # always have it). None = read the campaign row (so ``explain`` for a campaign says what a
    # send would do); without a campaign, off. Never for transactional messages.
    optimize_send_time: bool | None = None


@dataclass
class Outcome:
    """What the gate did with one request. ``message`` is None only in a dry run."""

    request: MessageRequest
    decision: Decision
    message: Message | None = None

    @property
    def status(self) -> str:
        return "duplicate" if self.duplicate else self.decision.status

    @property
    def duplicate(self) -> bool:
        return self.decision.reason == Reason.DUPLICATE

    @property
    def reason(self) -> str:
        return self.decision.reason


def request_message(req: MessageRequest, *, now=None, dry_run=False) -> Outcome:
    return request_messages([req], now=now, dry_run=dry_run)[0]


def request_messages(requests, *, now=None, dry_run=False, chunk_size=CHUNK_SIZE) -> list[Outcome]:
    """Decide and (unless dry_run) write a message for every request; returns outcomes in order."""
    now = now or timezone.now()
    requests = list(requests)
    outcomes: list[Outcome] = []
    for start in range(0, len(requests), chunk_size):
        chunk = requests[start : start + chunk_size]
        if dry_run:
            outcomes += _decide_chunk(chunk, now, dry_run=True)
        else:
            with locked_clients({r.cliente_id for r in chunk}):
                outcomes += _decide_chunk(chunk, now, dry_run=False)
    return outcomes


def _decide_chunk(chunk: list[MessageRequest], now, *, dry_run: bool) -> list[Outcome]:
    client_ids = sorted({r.cliente_id for r in chunk})
    existing = {
        m.idempotency_key: m for m in Message.objects.filter(idempotency_key__any={r.idempotency_key for r in chunk})
    }
    # Segments are always read: each message keeps the segment its client had at decision time.
    facts = load_facts(client_ids, with_segments=True)
    kinds = {r.kind: get_kind(r.kind) for r in chunk}
    usage = load_usage(client_ids, kinds.values(), now)
    holdout_shares = load_campaign_holdouts({r.campaign_id for r in chunk if r.campaign_holdout_percent is None})
    holdout_shares.update(
        {r.campaign_id: (r.campaign_id, r.campaign_holdout_percent) for r in chunk if r.campaign_holdout_percent}
    )
    opted_in = load_campaign_send_time({r.campaign_id for r in chunk if r.optimize_send_time is None})
    wants_send_time = [_wants_send_time(r, kinds[r.kind], opted_in) for r in chunk]
    hours = _best_hours(client_ids) if any(wants_send_time) else None

    outcomes, to_create = [], []
    for req, wants in zip(chunk, wants_send_time, strict=True):
        if req.idempotency_key in existing:
            prior = existing[req.idempotency_key]
            decision = Decision(prior.status, prior.channel, Reason.DUPLICATE, prior.scheduled_for, prior.counts_on)
            outcomes.append(Outcome(req, decision, None if dry_run else prior))
            continue
        cliente_facts = facts.get(req.cliente_id)
        if cliente_facts is None:
            raise ValueError(f"cliente {req.cliente_id} does not exist")
        kind = kinds[req.kind]
        at, exploring = _send_time_slot(req, hours, now) if wants else (req.at, False)
        decision = decide(
            kind,
            cliente_facts,
            usage[req.cliente_id],
            now=now,
            at=at,
            channel=req.channel,
            category=req.category,
            segments=req.segments,
            when_capped=req.when_capped,
            campaign_holdout=holdout_shares.get(req.campaign_id),
            expires_at=req.expires_at,
        )
        if at is not req.at and decision.allowed and not decision.reason:
            decision = dataclasses.replace(decision, reason=Reason.SEND_TIME)
        message = build_message(req, kind, decision, now, segment=cliente_facts.segment or "")
        message.send_time_exploration = exploring and at is not req.at
        if not dry_run:
            metrics.message_status(decision.channel, kind.name, decision.status)
            if decision.status == Status.BLOCKED:
                metrics.message_blocked(decision.channel, decision.reason)
        if decision.allowed:
            usage[req.cliente_id].add(None, decision.counts_on, decision.channel, kind.name, message.category)
        existing[req.idempotency_key] = message
        outcomes.append(Outcome(req, decision, None if dry_run else message))
        to_create.append(message)

    if not dry_run and to_create:
        _insert(to_create)
        queued = [m.pk for m in to_create if m.status == Status.QUEUED]
        if queued:
            from .dispatch import enqueue_on_commit

            enqueue_on_commit(queued)
    return outcomes


def ensure_limit_rows(client_ids) -> None:
    """Create missing CommunicationLimit rows in their own short transaction.

    Inserting them inside the locking transaction would deadlock: a waiter on
    an uncommitted insert may already hold another client's row lock. Done
    first and apart, the locking pass only ever locks existing rows in order.
    """
    existing = set(CommunicationLimit.objects.filter(cliente_id__any=client_ids).values_list("cliente_id", flat=True))
    missing = sorted(set(client_ids) - existing)
    if missing:
        from ventas.models import Cliente

        # Unknown ids get no row; the decision step then reports them clearly.
        missing = list(Cliente.objects.filter(pk__any=missing).order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            CommunicationLimit.objects.bulk_create(
                [CommunicationLimit(cliente_id=cid) for cid in missing], ignore_conflicts=True
            )


def lock_clients(client_ids) -> None:
    """Take each client's limit row lock in ascending id order (rows must exist: ensure_limit_rows)."""
    if not LOCKING:
        return
    list(
        CommunicationLimit.objects.select_for_update()
        .filter(cliente_id__any=sorted(client_ids))
        .order_by("cliente_id")
        .values_list("cliente_id", flat=True)
    )


@contextmanager
def locked_clients(client_ids):
    """One transaction holding the locks of these clients: the gate's unit of work."""
    ensure_limit_rows(client_ids)
    with transaction.atomic():
        lock_clients(client_ids)
        yield


def _wants_send_time(req: MessageRequest, kind: Kind, opted_in: set[int]) -> bool:
    """Whether the client's best hour replaces the requested one (specs/insights.md, product rules)."""
    from .insights import send_slot

    if kind.category_for(req.category) != Category.MARKETING:
        return False  # a confirmation or a transactional campaign goes when asked
    if req.optimize_send_time is None:
        opts_in = req.campaign_id in opted_in
    else:
        opts_in = req.optimize_send_time
    return send_slot.applies(req.kind, opts_in)


def _best_hours(client_ids) -> dict[int, int]:
    """Best hours of a chunk's clients (one query), read only when some request may use them."""
    from .insights import send_slot

    return send_slot.best_hours(client_ids)


def load_campaign_send_time(campaign_ids) -> set[int]:
    """The campaigns among these that opted in to send-time optimisation (one query, none without ids)."""
    from ventas.models import Campaign

    ids = {c for c in campaign_ids if c}
    if not ids:
        return set()
    return set(Campaign.objects.filter(pk__in=ids, optimize_send_time=True).values_list("pk", flat=True))


def _send_time_slot(req: MessageRequest, hours, now) -> tuple[datetime.datetime | None, bool]:
    """(slot to decide on, exploring): the client's hour replaces the requested one (specs/insights.md)."""
    from .insights import send_slot

    if hours is None:
        return req.at, False
    hour, exploring = send_slot.chosen_hour(req.idempotency_key, hours.get(req.cliente_id))
    if hour is None:
        return req.at, False
    moved = send_slot.shifted_slot(max(req.at or now, now), hour, now)
    return (moved, exploring) if moved is not None else (req.at, False)


def load_facts(client_ids, *, with_segments: bool) -> dict[int, ClientFacts]:
    from ventas.models import Cliente
    from ventas.segments import segments_of

    # No ordering: the model's default (by name) would sort every chunk for nothing.
    rows = list(Cliente.objects.filter(pk__any=client_ids).order_by().values("pk", "telefono", "email"))
    # Segments from the bookings of these clients only (an index lookup per chunk, not a scan).
    segments = segments_of([row["pk"] for row in rows]) if with_segments else {}
    prefs = {p.cliente_id: Prefs.of(p) for p in ClientPreferences.objects.filter(cliente_id__any=client_ids)}
    addresses = {row["pk"]: suppression.addresses_of(row["telefono"], row["email"]) for row in rows}
    opted_out = suppression.suppressed(pair for own in addresses.values() for pair in own.items())
    erased = suppression.erased_channels({row["pk"]: (row["telefono"], row["email"]) for row in rows})
    facts = {}
    for row in rows:
        facts[row["pk"]] = ClientFacts(
            cliente_id=row["pk"],
            telefono=row["telefono"],
            email=row["email"],
            prefs=prefs.get(row["pk"], Prefs()),
            segment=segments.get(row["pk"]),
            suppressed=frozenset(c for c, a in addresses[row["pk"]].items() if (c, a) in opted_out),
            erased=erased.get(row["pk"], frozenset()),
        )
    return facts


def load_campaign_holdouts(campaign_ids) -> dict[int, tuple[int, int]]:
    """Campaign id -> (id, its own holdout share), for the campaigns that set one."""
    from ventas.models import Campaign

    ids = {c for c in campaign_ids if c}
    if not ids:
        return {}
    rows = Campaign.objects.filter(pk__in=ids, holdout_percent__gt=0).values_list("pk", "holdout_percent")
    return {pk: (pk, percent) for pk, percent in rows}


USAGE_COLUMNS = ("pk", "cliente_id", "counts_on", "channel", "kind", "category")


def load_usage(client_ids, kinds: "list[Kind] | set[Kind]", now) -> dict[int, Usage]:
    """Cap-holding messages of these clients, from the earliest window start any cap needs."""
    today = cal.localdate(now)
    channel_start = min(cal.window("month", today)[0], cal.window("week", today)[0])
    channels = {c: channel_start for k in kinds for c in k.channels}
    capped = {k.name: k.cap.window(today)[0] for k in kinds if k.cap}
    usage: dict[int, Usage] = defaultdict(Usage)
    for pk, cliente_id, day, channel, kind, category in counted_per_client(client_ids, channels, capped):
        usage[cliente_id].add(pk, day, channel, kind, category)
    return usage


def counted_per_client(client_ids, channels: dict, kinds: dict) -> list[tuple]:
    """(pk, cliente_id, counts_on, channel, kind, category) of these clients' cap-holding
    messages on a channel of ``channels`` from its start day, or of a kind of ``kinds``
    from its start day ({name: first local day}).

    On PostgreSQL the rows are read client by client whatever the table's statistics say.
    As one filter (``cliente_id IN (…) AND status IN (…) AND (channel … OR kind …)``) the
    plan depended on them, and with none fresh (a sweep that has grown the table since the
    last ANALYZE, or a server without autovacuum) PostgreSQL took the status list, or a
    kind, for a selective filter and read most of the table through that index for every
    chunk: 6 million page reads in a 1M-client campaign sweep, 11 s a chunk at its end, and
    15 s a chunk in a reactivation sweep. Here the ids are joined LATERAL behind an
    optimisation fence (OFFSET 0) to a read that only names the client and the earliest
    day, so each client is one descent of msg_client_day_usage; the status, channel and
    kind tests apply to the rows that come back, where no index can be chosen for them.
    """
    if connection.vendor != "postgresql":
        return counted_by_filter(client_ids, channels, kinds)
    arms, arm_params = [], []
    for column, starts in (("channel", channels), ("kind", kinds)):
        for value, start in starts.items():
            arms.append(f"(c.{column} = %s AND c.counts_on >= %s)")
            arm_params += [value, start]
    inner = Message.objects.filter(cliente_id=RawSQL("ids.id", ())).order_by()
    if arms:
        inner = inner.filter(counts_on__gte=min(arm_params[1::2]))
    sql, params = inner.values_list(*USAGE_COLUMNS, "status").query.sql_with_params()
    # The inner statement is the ORM's own compilation; every value is a parameter.
    outer = (
        "SELECT c.id, c.cliente_id, c.counts_on, c.channel, c.kind, c.category"  # noqa: S608
        f" FROM unnest(%s::bigint[]) AS ids(id) CROSS JOIN LATERAL ({sql} OFFSET 0)"
        " AS c(id, cliente_id, counts_on, channel, kind, category, status)"
        f" WHERE c.status = ANY(%s){' AND (' + ' OR '.join(arms) + ')' if arms else ''}"
    )
    statuses = [str(s) for s in COUNTED_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(outer, [sorted(set(client_ids)), *params, statuses, *arm_params])
        return cursor.fetchall()


def counted_by_filter(client_ids, channels: dict, kinds: dict) -> list[tuple]:
    """The same read as one filter: SQLite's, where no statistics steer the plan."""
    condition = Q()
    for channel, start in channels.items():
        condition |= Q(channel=channel, counts_on__gte=start)
    for kind, start in kinds.items():
        condition |= Q(kind=kind, counts_on__gte=start)
    rows = Message.objects.filter(condition, cliente_id__in=client_ids, status__in=COUNTED_STATUSES)
    return list(rows.order_by().values_list(*USAGE_COLUMNS))


def build_message(req: MessageRequest, kind: Kind, decision: Decision, now, *, segment: str = "") -> Message:
    category = kind.category_for(req.category)
    blocked = decision.status == Status.BLOCKED
    return Message(
        cliente_id=req.cliente_id,
        channel=decision.channel,
        kind=kind.name,
        category=category,
        idempotency_key=req.idempotency_key,
        campaign_id=req.campaign_id,
        reserva_id=req.reserva_id,
        context=req.context,
        destination=decision.destination,
        subject=req.subject,
        custom_text=req.custom_text,
        status=decision.status,
        reason=decision.reason,
        reason_detail=decision.detail,
        first_status=decision.status,
        first_reason=decision.reason,
        client_segment=segment,
        when_capped=req.when_capped or "",
        segment_rule=list(req.segments) if req.segments is not None else None,
        scheduled_for=decision.scheduled_for or now,
        counts_on=decision.counts_on or cal.localdate(now),
        expires_at=req.expires_at,
        created_at=now,
        queued_at=now if decision.status == Status.QUEUED else None,
        closed_at=now if blocked else None,
    )


def _insert(messages: list[Message]) -> None:
    """Bulk insert; if a key raced in from elsewhere, fall back to one savepoint per row."""
    try:
        with transaction.atomic():
            bulk_insert.insert(Message, messages)
        return
    except IntegrityError:
        log.warning("idempotency key collision in a batch of %d; inserting one by one", len(messages))
    for message in messages:
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            message.pk = None  # the other writer's row stands; this one is a duplicate


def promote_due(now=None, limit: int = CHUNK_SIZE) -> dict[str, int]:
    """Move due scheduled messages to the queue, re-deciding each under its client's lock.

    Their slot was reserved when they were scheduled, but consent, contact details or
    usage may have changed since (marketing yields to transactional messages sent in
    the meantime), so each is decided again, excluding itself from the usage.
    """
    from .actions import transition

    now = now or timezone.now()
    counts = defaultdict(int)
    due = list(
        Message.objects.filter(status=Status.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "pk")
        .values_list("pk", "cliente_id")[:limit]
    )
    if not due:
        return {}
    client_ids = sorted({cid for _pk, cid in due})
    with locked_clients(client_ids):
        # Re-read under the locks: another sweep may have promoted some already.
        messages = list(Message.objects.filter(pk__any=[pk for pk, _cid in due], status=Status.SCHEDULED))
        messages = _withdraw_no_longer_due(messages, now, counts)
        kinds = {m.kind: get_kind(m.kind) for m in messages}
        facts = load_facts(client_ids, with_segments=any(m.segment_rule is not None for m in messages))
        usage = load_usage(client_ids, kinds.values(), now)
        holdout_shares = load_campaign_holdouts({m.campaign_id for m in messages})
        queued, blocked = [], defaultdict(list)
        for m in messages:
            decision = decide(
                kinds[m.kind],
                facts[m.cliente_id],
                usage[m.cliente_id],
                now=now,
                at=m.scheduled_for,
                channel=m.channel,
                category=m.category,
                segments=tuple(m.segment_rule) if m.segment_rule is not None else None,
                when_capped=m.when_capped or None,
                exclude_id=m.pk,
                campaign_holdout=holdout_shares.get(m.campaign_id),
                expires_at=m.expires_at,
            )
            if decision.status == Status.QUEUED:
                queued.append(m.pk)
            elif decision.status == Status.BLOCKED:
                blocked[decision.reason].append(m.pk)
            else:
                Message.objects.filter(pk=m.pk).update(
                    scheduled_for=decision.scheduled_for, counts_on=decision.counts_on, reason=decision.reason
                )
                _replace_usage(usage[m.cliente_id], m.pk, decision, m)
                counts["rescheduled"] += 1
        if queued:
            counts["queued"] = transition(Message.objects.filter(pk__any=queued), Status.QUEUED, now=now)
            from .dispatch import enqueue_on_commit

            enqueue_on_commit(queued)
        for reason, pks in blocked.items():
            counts[f"blocked:{reason}"] = transition(
                Message.objects.filter(pk__any=pks), Status.BLOCKED, reason=reason, now=now
            )
    return dict(counts)


def _withdraw_no_longer_due(messages: list[Message], now, counts) -> list[Message]:
    """Cancel the messages whose trigger's rule no longer holds; return the others."""
    from .actions import transition
    from .triggers import STILL_DUE

    withdrawn: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_kind = defaultdict(list)
    for m in messages:
        if m.kind in STILL_DUE:
            by_kind[m.kind].append(m)
    for kind, group in by_kind.items():
        for pk, reason in STILL_DUE[kind](group, now).items():
            withdrawn[reason].append(pk)
    for (reason, detail), pks in withdrawn.items():
        counts[f"cancelled:{reason}"] += transition(
            Message.objects.filter(pk__any=pks), Status.CANCELLED, reason=reason, detail=detail, now=now
        )
    gone = {pk for pks in withdrawn.values() for pk in pks}
    return [m for m in messages if m.pk not in gone]


def _replace_usage(usage: Usage, message_id: int, decision: Decision, message: Message) -> None:
    usage.entries = [e for e in usage.entries if e[0] != message_id]
    usage.add(message_id, decision.counts_on, message.channel, message.kind, message.category)
