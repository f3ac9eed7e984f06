"""The registry of message kinds (ARCHITECTURE.md §4): plain code, not a table."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import calendar as cal
from .models import Category, Channel

DEFER = "defer"  # capped -> deferred to the next allowed slot
DROP = "drop"  # capped -> blocked: a late message is worse than none
NEVER = "never"  # never capped (transactional)


@dataclass(frozen=True)
class KindCap:
    count: int
    period: str  # "year" | "quarter" | "month" | "lifetime" | "rolling" (any ``days`` consecutive days)
    days: int = 0  # rolling caps only

    def window(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        """Inclusive local dates whose messages compete with one on ``day``.

        A rolling cap of N days allows ``count`` messages in any N consecutive days, so a
        message on ``day`` meets those up to N-1 days before and after it.
        """
        if self.period == "rolling":
            span = datetime.timedelta(days=self.days - 1)
            return day - span, day + span
        return cal.window(self.period, day)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    channels: tuple[str, ...]  # preferred first; later ones are fallbacks when the first is impossible
    category: str
    cap: KindCap | None = None
    when_capped: str = DEFER
    # Extra consent flag on ClientPreferences this kind needs (besides channel and category).
    consent_flag: str | None = None
    # Staff may choose the category (campaign / manual).
    category_by_request: bool = False
    # Sundays and holidays have no marketing hours; a greeting that belongs to its day
    # may still go in the short daytime window (settings.BIRTHDAY_WINDOW_*).
    closed_day_window: bool = False

    def category_for(self, requested: str | None) -> str:
        """The message's category: the kind's, unless staff may choose it (campaign, manual) and did."""
        return requested if (requested and self.category_by_request) else self.category


SMS, EMAIL = Channel.SMS.value, Channel.EMAIL.value
T, M = Category.TRANSACTIONAL.value, Category.MARKETING.value

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("booking_confirmation", _("Confirmación de reserva"), (SMS, EMAIL), T, when_capped=NEVER),
        # One per change of a booking's date or time (tu reserva cambió), keyed per change.
        Kind("booking_changed", _("Cambio de reserva"), (SMS, EMAIL), T, when_capped=NEVER),
        Kind("appointment_reminder", _("Recordatorio de cita"), (SMS,), T, when_capped=NEVER),
        Kind("satisfaction_followup", _("Encuesta de satisfacción"), (EMAIL,), T, when_capped=NEVER),
        Kind("welcome_1", _("Bienvenida (día 1)"), (EMAIL,), M, KindCap(1, "lifetime")),
        Kind("welcome_7", _("Bienvenida (día 7)"), (EMAIL,), M, KindCap(1, "lifetime")),
        Kind("welcome_30", _("Bienvenida (día 30)"), (EMAIL,), M, KindCap(1, "lifetime")),
        Kind(
            "birthday",
            _("Cumpleaños"),
            (SMS,),
            M,
            KindCap(1, "year"),
            DROP,
            consent_flag="accepts_birthday_sms",
            closed_day_window=True,
        ),
        # One sequence per 90 days, not per calendar quarter: a client going inactive at the
        # end of March must not get the sequence again on 1 April.
        Kind("reactivation_email", _("Reactivación (email)"), (EMAIL,), M, KindCap(1, "rolling", days=90)),
        Kind("reactivation_sms", _("Reactivación (SMS)"), (SMS,), M, KindCap(1, "rolling", days=90)),
        Kind("vip_newsletter", _("Newsletter VIP"), (EMAIL,), M, KindCap(1, "month")),
        Kind("vip_early_access", _("Acceso anticipado VIP"), (SMS,), M, KindCap(2, "month"), DROP),
        Kind("loyalty_rewards", _("Recompensas de fidelidad"), (EMAIL,), M, KindCap(1, "quarter")),
        Kind("campaign", _("Campaña"), (SMS, EMAIL), M, category_by_request=True),
        Kind("manual", _("Mensaje manual"), (SMS, EMAIL), M, category_by_request=True),
    ]
}


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown message kind: {name!r}") from None
