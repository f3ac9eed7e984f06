"""The automatic triggers (ARCHITECTURE.md §4, §6), by name."""

from .base import RunReport, Trigger, run
from .bookings import AppointmentReminder, BookingConfirmation, SatisfactionFollowup
from .lifecycle import Birthday, LoyaltyRewards, VipNewsletter, Welcome
from .reactivation import ReactivationEmail, ReactivationSms

TRIGGERS: dict[str, Trigger] = {
    t.name: t
    for t in (
        BookingConfirmation(),
        AppointmentReminder(),
        SatisfactionFollowup(),
        Welcome(),
        Birthday(),
        ReactivationEmail(),
        ReactivationSms(),
        VipNewsletter(),
        LoyaltyRewards(),
    )
}


def run_all(now, *, dry_run=False) -> list[RunReport]:
    return [run(trigger, now, dry_run=dry_run) for trigger in TRIGGERS.values()]


__all__ = ["TRIGGERS", "RunReport", "Trigger", "run", "run_all"]
