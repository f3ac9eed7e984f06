"""Delivering many messages at once (ARCHITECTURE.md §13, specs/sending.md).

A send task claims up to SEND_BATCH_SIZE due rows of one channel and one category,
re-checks consent for all of them under their clients' locks, renders them and sends:
SMS in as few Redvoiss requests as the request rules allow, a bounded number of them
in flight at once over one HTTP session; email over one SMTP connection. Every
message keeps its own outcome, cost and provider ids.

Never two SMS: before each provider request the rows it carries are marked as "call
started" (conditional on this claim's token) and committed; a row marked and found
later without an outcome becomes ``unknown``, never a resend (actions.settle_interrupted).
The outcomes written here are the ones the one-message path (delivery.deliver) writes.
"""

import logging
import math
import os
import socket
import uuid
from collections import Counter, defaultdict, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Expression, F
from django.utils import timezone

from ventas.models import CampaignInteraction

from .actions import settle_interrupted, transition
from .channels import email as email_channel
from .channels.email_compose import compose as compose_email
from .channels.errors import AmbiguousError, ChannelError, ConfigurationError, PermanentError, TransientError
from .channels.sms import sender as sms_sender
from .delivery import backoff_seconds, channel_paused, pause_key
from .gate import load_facts, locked_clients
from .kinds import get_kind
from .models import Category, Message, Reason, SendBatch, SendingControl, Status
from .ops import metrics
from .policy import choose_channel, plain
from .rendering import Renderer, TemplateError, render_message

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"[:100]
# Negative control for the chaos proof only (communications/tests/chaos.py): without the
# marker, a worker killed mid-request must cause second SMS.
CALL_MARKER = True


@dataclass
class BatchReport:
    claimed: int = 0
    requests: int = 0
    destinations: int = 0
    outcomes: Counter = field(default_factory=Counter)
    retry_in: float | None = None
    batch_id: int | None = None
    size: int = 0  # how many rows the claim asked for

    @property
    def full(self) -> bool:
        """The claim took all it asked for: more rows may be waiting."""
        return self.claimed >= (self.size or settings.SEND_BATCH_SIZE)


@dataclass
class Request:
    """One provider call: an SMS request (one text, distinct destinations) or one email."""

    messages: list
    prepared: object = None  # PreparedSms for SMS
    destinations: set = field(default_factory=set)


# --- claim ---------------------------------------------------------------------------


def one_statement():
    """The transaction around a claim's or a marker's single UPDATE … RETURNING.

    On PostgreSQL the statement is its own transaction (committed when it returns), so an
    explicit one would only add a BEGIN and a COMMIT round trip: two per marked chunk. On
    SQLite the IMMEDIATE transaction (settings) is what serialises the claims.
    """
    return nullcontext() if connection.vendor == "postgresql" else transaction.atomic()


def batch_lease_seconds(size: int) -> float:
    """Long enough for the whole batch, one request after another at worst (specs/sending.md)."""
    per_request = settings.REDVOISS_CONNECT_TIMEOUT + settings.REDVOISS_READ_TIMEOUT
    rounds = math.ceil(size / max(1, settings.SEND_BATCH_CONCURRENCY))
    return settings.MESSAGE_LEASE_SECONDS + rounds * per_request


def claim_batch(channel: str, category: str, now, *, size: int, token: uuid.UUID, batch_id: int) -> list[int]:
    """Take up to ``size`` due rows of one channel and category; returns their ids.

    PostgreSQL: the inner SELECT skips rows another worker is claiming right now, so any
    number of workers on any number of hosts share the outbox without overlap. SQLite
    (the demo) has no row locks: the IMMEDIATE transaction serialises the claims.
    A row claimed but never handed to the provider (no marker) is claimable again once
    its lease ran out; a marked one is not (settle_interrupted makes it ``unknown``).
    """
    table = Message._meta.db_table
    vendor = connection.vendor
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    lease = ops.adapt_datetimefield_value(now + timedelta(seconds=batch_lease_seconds(size)))
    token_value = Message._meta.get_field("claim_token").get_db_prep_value(token, connection)
    # Only the model's own table name and a constant lock clause are formatted in; values are parameters.
    sql = f"""
        UPDATE {table}
           SET status = %s, lease_until = %s, attempts = attempts + 1, claim_token = %s, send_batch_id = %s
         WHERE id IN (
               SELECT id FROM {table}
                WHERE channel = %s AND category = %s AND scheduled_for <= %s
                  AND (status = %s
                       OR (status = %s AND lease_until <= %s AND provider_call_started_at IS NULL))
                ORDER BY scheduled_for, id
                LIMIT %s{lock})
        RETURNING id
    """  # noqa: S608
    params = [
        Status.SENDING,
        lease,
        token_value,
        batch_id,
        channel,
        category,
        stamp,
        Status.QUEUED,
        Status.SENDING,
        stamp,
        size,
    ]
    with one_statement(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def mark_calls_started(messages, token, now) -> set[int]:
    """Commit, before the request, that these rows are about to be handed to the provider.

    Only rows still held by this claim (same token, still ``sending``, not yet marked)
    are marked; the others were re-claimed elsewhere and must not be sent. The marked
    rows' lease now covers just this request, so a crash is settled soon after it.
    """
    ids = [m.pk for m in messages]
    if not ids:
        return set()
    per_request = settings.REDVOISS_CONNECT_TIMEOUT + settings.REDVOISS_READ_TIMEOUT
    lease = now + timedelta(seconds=settings.MESSAGE_LEASE_SECONDS + per_request)
    if not CALL_MARKER:
        mine = Message.objects.filter(pk__in=ids, claim_token=token, status=Status.SENDING)
        return set(mine.values_list("pk", flat=True))
    # One statement that marks and says which rows it marked (SQLite has RETURNING since 3.35).
    ops = connection.ops
    token_value = Message._meta.get_field("claim_token").get_db_prep_value(token, connection)
    sql = f"""
        UPDATE {Message._meta.db_table}
           SET provider_call_started_at = %s, lease_until = %s
         WHERE id IN ({", ".join(["%s"] * len(ids))})
           AND claim_token = %s AND status = %s AND provider_call_started_at IS NULL
        RETURNING id
    """  # noqa: S608 - the model's own table name; every value is a parameter
    params = [ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(lease), *ids]
    with one_statement(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, token_value, Status.SENDING])
        return {row[0] for row in cursor.fetchall()}


class PerRow(Expression):
    """``CASE id WHEN … THEN … ELSE <column> END``: each row's own value of one field, in one UPDATE.

    Django's ``Case(When(pk=…))`` says the same, but resolves every ``When`` as a filter
    (a Q, a lookup, a WHERE node): for a chunk of emails that was a fifth of a sending
    worker's CPU. The values are prepared by the field, as ``Value`` would, and bound as
    parameters; a row not listed keeps its value.
    """

    def __init__(self, values: list[tuple[int, object]], field):
        super().__init__(output_field=field)
        self.values, self.target = values, field

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return self  # nothing to resolve: the id column, literal parameters and this field's column

    def as_sql(self, compiler, connection):
        quote = connection.ops.quote_name
        params = []
        for pk, value in self.values:
            params += [pk, self.target.get_db_prep_save(value, connection)]
        whens = " ".join(["WHEN %s THEN %s"] * len(self.values))
        sql = f"CASE {quote(Message._meta.pk.column)} {whens} ELSE {quote(self.target.column)} END"
        return connection.ops.unification_cast_sql(self.target) % sql, params


def per_row(pairs, values, name: str) -> PerRow:
    """Each row of ``pairs`` (message, result) gets its own value of field ``name``."""
    rows = [(m.pk, v) for (m, _r), v in zip(pairs, values, strict=True)]
    return PerRow(rows, Message._meta.get_field(name))


# --- the batch -----------------------------------------------------------------------


def deliver_batch(channel: str, category: str, *, now=None, size: int | None = None) -> BatchReport:
    now = now or timezone.now()
    size = min(size or settings.SEND_BATCH_SIZE, settings.SEND_BATCH_SIZE)
    report = BatchReport(size=size)
    if channel_paused(channel):
        report.outcomes["paused"] += 1
        return report
    if category == Category.MARKETING and SendingControl.marketing_is_paused():
        report.outcomes["marketing_paused"] += 1
        return report
    settle_interrupted(Message.objects.filter(channel=channel, category=category, status=Status.SENDING), now)

    batch = SendBatch.objects.create(channel=channel, category=category, worker=WORKER, started_at=now)
    token = uuid.uuid4()
    ids = claim_batch(channel, category, now, size=size, token=token, batch_id=batch.pk)
    if not ids:
        batch.delete()
        return report
    report.claimed, report.batch_id = len(ids), batch.pk
    messages = list(
        Message.objects.select_related("cliente").filter(pk__any=ids, claim_token=token).order_by("scheduled_for", "pk")
    )
    run = _Run(channel, token, now, report)
    try:
        ready = run.recheck(messages)
        rendered = run.render(ready)
        if channel == "sms":
            run.send_sms(rendered)
        else:
            run.send_email(rendered)
    finally:
        SendBatch.objects.filter(pk=batch.pk).update(
            finished_at=timezone.now(),
            claimed=report.claimed,
            requests=report.requests,
            destinations=report.destinations,
            outcomes=dict(report.outcomes),
        )
    log.info("batch %s %s/%s: %s", batch.pk, channel, category, dict(report.outcomes))
    # A batch mixes kinds: its outcomes are counted under the kind label "lote".
    for outcome, count in report.outcomes.items():
        metrics.message_status(channel, "lote", outcome, count)
    return report


class _Run:
    """The state of one batch while it is being sent (token, clock, report)."""

    def __init__(self, channel, token, now, report):
        self.channel, self.token, self.now, self.report = channel, token, now, report
        self.renderer = Renderer()
        self.paused = False

    def _rows(self, messages):
        return Message.objects.filter(pk__any=[m.pk for m in messages])

    def _count(self, outcome, n):
        if n:
            self.report.outcomes[plain(outcome)] += n  # logged: "sent", never Status.SENT

    # -- consent and contact, once for the batch --------------------------------------
    def recheck(self, messages) -> list:
        expired = [m for m in messages if m.expires_at and m.expires_at <= self.now]
        moved = transition(self._rows(expired), Status.EXPIRED, reason=Reason.EXPIRED, now=self.now)
        self._count(Status.EXPIRED, moved)
        live = [m for m in messages if m not in expired]
        if not live:
            return []
        client_ids = sorted({m.cliente_id for m in live})
        with locked_clients(client_ids):
            facts = load_facts(client_ids, with_segments=False)
        closed, ready = defaultdict(list), []
        for m in live:
            _channel, destination, reason = choose_channel(get_kind(m.kind), m.category, facts[m.cliente_id], m.channel)
            if reason:
                closed[(Status.CANCELLED if reason == Reason.OPTED_OUT else Status.BLOCKED, reason)].append(m)
            else:
                # Send to the client's current details, not those of when it was queued.
                m.destination = destination
                ready.append(m)
        for (status, reason), group in closed.items():
            self._count(status, transition(self._rows(group), status, reason=reason, now=self.now))
        return ready

    # -- copy -------------------------------------------------------------------------
    def _render(self, m) -> tuple[str, str]:
        # The same rendering as one message at a time; what the batch shares is read once.
        return render_message(m, m.cliente, self.renderer)

    def render(self, messages) -> list[tuple]:
        out = []
        self.renderer.prefetch(messages)
        for m in messages:
            try:
                subject, body = self._render(m)
            except TemplateError as exc:
                moved = transition(
                    self._rows([m]), Status.BLOCKED, reason=Reason.TEMPLATE_ERROR, detail=str(exc), now=self.now
                )
                self._count(Status.BLOCKED, moved)
                continue
            out.append((m, subject, body))
        return out

    # -- SMS --------------------------------------------------------------------------
    def sms_requests(self, rendered) -> list[Request]:
        """Group by final text and flags; split by distinct destinations and the size limit."""
        groups: dict[tuple, list[Request]] = defaultdict(list)
        self.costing, self.subjects = {}, {}
        requests = []
        for m, subject, body in rendered:
            prepared = sms_sender.prepare(m, body)
            self.costing[m.pk], self.subjects[m.pk] = prepared.costing(), subject
            try:
                sms_sender.check_length(prepared)
            except PermanentError as exc:
                self.record_error(m, exc)
                continue
            digits = "".join(c for c in m.destination if c.isdigit())
            for request in groups[(prepared.text, prepared.commercial)]:
                if len(request.messages) < settings.REDVOISS_MAX_DESTINATIONS and digits not in request.destinations:
                    break
            else:
                request = Request([], prepared)
                groups[(prepared.text, prepared.commercial)].append(request)
                requests.append(request)
            request.messages.append(m)
            request.destinations.add(digits)
        return requests

    def send_sms(self, rendered) -> None:
        pending = deque(self.sms_requests(rendered))
        in_flight = {}
        with ThreadPoolExecutor(max_workers=max(1, settings.SEND_BATCH_CONCURRENCY)) as pool:
            while pending or in_flight:
                while pending and len(in_flight) < settings.SEND_BATCH_CONCURRENCY and not self.paused:
                    request = pending.popleft()
                    request.messages = self.mark(request.messages)
                    if request.messages:
                        in_flight[pool.submit(sms_sender.send_many, request.messages, request.prepared)] = request
                if self.paused and pending:
                    self.hold([m for r in pending for m in r.messages])
                    pending.clear()
                if not in_flight:
                    continue
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    request = in_flight.pop(future)
                    self.report.requests += 1
                    # A crash inside the request (not a ChannelError) propagates: its rows
                    # stay marked and are settled as "unknown", never resent.
                    self.record_all(list(zip(request.messages, future.result(), strict=True)))

    def mark(self, messages) -> list:
        marked = mark_calls_started(messages, self.token, self.now)
        self._count("not_claimed", len(messages) - len(marked))
        return [m for m in messages if m.pk in marked]

    # -- email ------------------------------------------------------------------------
    def send_email(self, rendered) -> None:
        """Mark a chunk, compose it and hand it to the sending thread; while that thread talks
        to the server, mark and compose the next chunk and record the last one's outcomes."""
        self.costing = {m.pk: {"body": body} for m, _s, body in rendered}
        self.subjects = {m.pk: subject for m, subject, _b in rendered}
        chunk = max(1, settings.EMAIL_MARK_CHUNK)
        owed = []  # the previous chunk's messages, whose outcomes are still to be recorded
        with email_channel.EmailPipeline() as smtp:
            for start in range(0, len(rendered), chunk):
                part = rendered[start : start + chunk]
                if self.paused:
                    self.hold([m for m, _s, _b in part])
                    continue
                marked = {m.pk for m in self.mark([m for m, _s, _b in part])}
                submitted = []
                for m, subject, body in part:
                    if m.pk not in marked:
                        continue
                    smtp.submit(m, compose_email(m, subject, body, self.renderer.templates))
                    submitted.append(m)
                self.settle_emails(smtp.results(owed))
                owed = submitted
            self.settle_emails(smtp.results(owed))

    def settle_emails(self, known) -> None:
        outcomes, crash = known
        self.hold([m for m, result in outcomes if result is email_channel.NOT_SENT])
        tried = [(m, result) for m, result in outcomes if result is not email_channel.NOT_SENT]
        self.report.requests += len(tried)
        self.record_all(self.settle_misconfigured(tried))
        if crash is not None:
            # Not a ChannelError: the rows still owed keep their marks (settled "unknown").
            raise crash

    def settle_misconfigured(self, outcomes) -> list:
        """A misconfigured backend pauses the channel at once, so the rest of the chunk is held."""
        for m, result in outcomes:
            if isinstance(result, ConfigurationError):
                self.record_error(m, result)
        return [(m, r) for m, r in outcomes if not isinstance(r, ConfigurationError)]

    # -- outcomes (the same fields delivery.deliver writes) -----------------------------
    def record(self, m, result) -> None:
        self.record_all([(m, result)])

    def record_all(self, pairs) -> None:
        """Outcomes of one request (or one chunk of emails): all successes in one UPDATE."""
        sent = [(m, r) for m, r in pairs if not isinstance(r, ChannelError)]
        for m, r in pairs:
            if isinstance(r, ChannelError):
                self.record_error(m, r)
        if not sent:
            return
        self.report.destinations += len(sent)
        fields = {
            "subject": [self.subjects[m.pk] for m, _r in sent],
            "body": [r.body for _m, r in sent],
            "provider": [r.provider for _m, r in sent],
            "provider_batch_id": [r.batch_id for _m, r in sent],
            "provider_message_id": [r.message_id for _m, r in sent],
            "segments": [r.segments for _m, r in sent],
            "encoding": [r.encoding for _m, r in sent],
            "cost_clp": [r.cost_clp for _m, r in sent],
        }
        common = {name: values[0] for name, values in fields.items() if len(set(values)) == 1}
        varying = [name for name in fields if name not in common]
        sent_fields = {"now": self.now, "lease_until": None, "reason": "", "detail": "", **common}
        if not varying:  # a shared request: one UPDATE for all its rows
            moved = transition(self._rows([m for m, _r in sent]), Status.SENT, **sent_fields)
        else:  # e.g. emails, each with its own Message-ID: still one UPDATE, picking each row's values
            own = {name: per_row(sent, fields[name], name) for name in varying}
            moved = transition(self._rows([m for m, _r in sent]), Status.SENT, **sent_fields, **own)
        self._count(Status.SENT, moved)
        interactions = [
            CampaignInteraction(
                cliente_id=m.cliente_id,
                campaign_id=m.campaign_id,
                interaction_type=f"{m.channel}_sent",
                timestamp=self.now,
                details={"message": m.pk},
            )
            for m, _r in sent
            if m.campaign_id
        ]
        if interactions:
            CampaignInteraction.objects.bulk_create(interactions)

    def record_error(self, m, exc: ChannelError) -> None:
        one = self._rows([m])
        costing = self.costing[m.pk]
        if isinstance(exc, TransientError):
            self.retry_or_fail(m, exc)
        elif isinstance(exc, AmbiguousError):
            moved = transition(
                one,
                Status.UNKNOWN,
                reason=exc.reason,
                detail=str(exc),
                now=self.now,
                subject=self.subjects[m.pk],
                provider=exc.provider,
                provider_batch_id=exc.batch_id,
                **costing,
            )
            self._count(Status.UNKNOWN, moved)
        elif isinstance(exc, ConfigurationError):
            cache.set(pause_key(self.channel), True, settings.CHANNEL_PAUSE_SECONDS)
            log.error("channel %s misconfigured (%s): paused", self.channel, type(exc).__name__)
            self.paused = True
            self.hold([m])
        else:
            # A refused message is not billed, but its segments stay visible to staff.
            if self.channel == "sms":
                costing = {**costing, "cost_clp": 0}
            moved = transition(
                one, Status.FAILED, reason=exc.reason, detail=exc.detail or str(exc), now=self.now, **costing
            )
            self._count(Status.FAILED, moved)
            if getattr(exc, "bounce", ""):
                from .bounces import record_bounce

                record_bounce(m, exc.bounce, {"smtp": exc.detail}, now=self.now)

    def retry_or_fail(self, m, exc) -> None:
        one = self._rows([m])
        if m.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
            moved = transition(one, Status.FAILED, reason=Reason.PROVIDER_UNAVAILABLE, detail=str(exc), now=self.now)
            self._count(Status.FAILED, moved)
            return
        delay = backoff_seconds(m.attempts)
        # A definite non-send: the marker is cleared with the retry, which then sends normally.
        one.update(
            lease_until=self.now + timedelta(seconds=delay),
            reason_detail=f"retry: {exc}"[:500],
            provider_call_started_at=None,
        )
        self._count("retry", 1)
        self.report.retry_in = min(self.report.retry_in or delay, delay)

    def hold(self, messages) -> None:
        """Keep these rows (no attempt spent) until the channel's pause ends; nothing was sent."""
        if not messages:
            return
        self._rows(messages).filter(claim_token=self.token, status=Status.SENDING).update(
            lease_until=self.now + timedelta(seconds=settings.CHANNEL_PAUSE_SECONDS),
            attempts=F("attempts") - 1,
            reason=Reason.PROVIDER_MISCONFIGURED,
            provider_call_started_at=None,
        )
        self._count("paused", len(messages))
