"""What every trigger shares: its settings, deterministic keys, and the runner.

A trigger answers one question: "who is due now, with which idempotency key and
which kind?" It yields MessageRequests; the runner drops those whose key already
exists (one query per batch, so an hourly sweep over thousands of clients costs a
few queries) and hands the rest to the batched gate. Running a sweep twice, or
late, sends once: every key is deterministic.
"""

import datetime
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction

from .. import calendar as cal
from ..gate import MessageRequest, request_messages
from ..models import Message, TriggerSetting

log = logging.getLogger(__name__)

BATCH = 2000
# The numbers a TriggerSetting row can tune; each trigger lists the ones it reads (``tunes``).
TUNABLE = ("delay_hours", "window_days", "send_hour", "segments", "channel", "template_variant", "early_high_risk")


@dataclass(frozen=True)
class Defaults:
    enabled: bool = True
    delay_hours: int = 0
    window_days: int = 0
    send_hour: int = 10
    segments: tuple[str, ...] = ()
    channel: str = ""
    template_variant: str = ""
    # Reactivation only: also reach high-risk, high-value clients from 45 days (specs/insights.md).
    early_high_risk: bool = False


class Trigger:
    """Subclasses set ``name``, ``label``, ``defaults`` and implement ``due``."""

    name: str = ""
    label: str = ""
    help = ""  # Spanish, for staff: what this trigger's numbers mean
    defaults = Defaults()
    # The settings this trigger reads; the admin shows and edits only these.
    tunes: tuple[str, ...] = TUNABLE
    # True when what is due depends only on the local date (and the data), not the hour: one run
    # per local day finds all of it. Beat still runs it hourly (a sweep missed by downtime catches
    # up); the simulator, which has no downtime and changes no sales data, runs it once a day.
    daily: bool = False

    def config(self) -> Defaults:
        row = TriggerSetting.objects.filter(name=self.name).first()
        if row is None:
            return self.defaults
        # The admin validates these; a row written another way (shell, import) must still not
        # crash a sweep or silently empty the audience, so bad values fall back to the defaults.
        send_hour = row.send_hour if 0 <= (row.send_hour or 0) <= 23 else self.defaults.send_hour
        segments = row.segments if TriggerSetting.valid_segments(row.segments) else ()
        if send_hour != row.send_hour or segments != row.segments:
            log.warning("trigger %s: invalid settings ignored (send_hour or segments)", self.name)
        return Defaults(
            enabled=row.enabled,
            delay_hours=row.delay_hours,
            window_days=row.window_days,
            send_hour=send_hour,
            segments=tuple(segments or self.defaults.segments),
            channel=row.channel,
            template_variant=row.template_variant,
            early_high_risk=row.early_high_risk,
        )

    def due(self, now: datetime.datetime, config: Defaults) -> Iterator[MessageRequest]:  # pragma: no cover
        raise NotImplementedError

    def prepare(self, now: datetime.datetime, config: Defaults, *, dry_run: bool) -> None:
        """May override: housekeeping before requests (e.g. cancel what no longer applies)."""


def send_time(day: datetime.date, config: Defaults) -> datetime.datetime:
    """The trigger's local send hour on ``day``."""
    return cal.at_local(day, datetime.time(config.send_hour))


def quarter_label(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@dataclass
class RunReport:
    trigger: str
    dry_run: bool
    counts: Counter = field(default_factory=Counter)  # (kind, status, reason) -> n
    skipped_existing: int = 0

    def total(self, status=None) -> int:
        return sum(n for (_k, s, _r), n in self.counts.items() if status in (None, s))


def run(trigger: Trigger, now: datetime.datetime, *, dry_run: bool = False, force: bool = False) -> RunReport:
    report = RunReport(trigger.name, dry_run)
    config = trigger.config()
    if not (config.enabled or force):
        return report
    if not dry_run:
        trigger.prepare(now, config, dry_run=dry_run)
    requests = trigger.due(now, config)
    while batch := list(islice(requests, BATCH)):
        existing = set(
            Message.objects.filter(idempotency_key__any=[r.idempotency_key for r in batch]).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = [r for r in batch if r.idempotency_key not in existing]
        report.skipped_existing += len(batch) - len(fresh)
        for outcome in request_messages(fresh, now=now, dry_run=dry_run):
            report.counts[(outcome.request.kind, outcome.status, outcome.reason)] += 1
    if report.counts:
        log.info("trigger %s%s: %s", trigger.name, " (dry run)" if dry_run else "", dict(report.counts))
    return report


def run_in_rollback(fn):
    """Run ``fn`` inside a transaction that is always rolled back (simulations and previews)."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result
