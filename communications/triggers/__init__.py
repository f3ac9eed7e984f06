"""The automatic triggers (ARCHITECTURE.md §4, §6), by name."""

from .base import RunReport, Trigger, run
from .bookings import AppointmentReminder, BookingConfirmation, SatisfactionFollowup
from .lifecycle import Birthday, LoyaltyRewards, VipNewsletter, Welcome
from .reactivation import ReactivationEmail, ReactivationSms
from .reactivation import still_due as reactivation_still_due

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


# Per kind: "is this scheduled message still due?" The outbox asks before promoting one,
# since its trigger's rule may no longer hold (a client who came back is not inactive).
# Each takes the scheduled messages of its kind and ``now``; returns pk -> (reason, detail).
STILL_DUE = {
    "reactivation_email": reactivation_still_due,
    "reactivation_sms": reactivation_still_due,
}


def run_all(now, *, dry_run=False) -> list[RunReport]:
    return [run(trigger, now, dry_run=dry_run) for trigger in TRIGGERS.values()]


__all__ = ["STILL_DUE", "TRIGGERS", "RunReport", "Trigger", "run", "run_all"]
