"""What the unsubscribe page and the preference centre change, written through the api.

Every change goes through api.opt_out / api.opt_in, which write the ConsentEvent
(the proof Ley 19.496 art. 28 B and Ley 21.719 ask for) and cancel queued
messages that are now forbidden. A request that changes nothing writes nothing:
a mail client repeating its one-click POST leaves one event, not ten. The check
and the change happen under the locks of the client and of every record sharing
its address (taken up front, in id order), so two concurrent requests cannot both
see "still subscribed", and two records sharing an address cannot deadlock.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import api
from .actions import locked_for_consent
from .models import ClientPreferences, ConsentEvent
from .policy import Prefs

EMAIL, SMS, ALL = "email", "sms", "all"
MARKETING, BIRTHDAY = ConsentEvent.Scope.MARKETING.value, ConsentEvent.Scope.BIRTHDAY.value


@dataclass(frozen=True)
class Choice:
    key: str
    channel: str
    label: str
    help: str = ""


# The preference centre's grid: what a client can switch, per channel and category.
CHOICES = (
    Choice("email_service", EMAIL, _("Avisos de mis reservas"), _("Confirmaciones y encuestas de satisfacción.")),
    Choice("email_marketing", EMAIL, _("Promociones y novedades"), _("Ofertas, novedades y beneficios.")),
    Choice("sms_service", SMS, _("Avisos de mis reservas"), _("Confirmaciones y recordatorios de citas.")),
    Choice("sms_marketing", SMS, _("Promociones y novedades"), _("Ofertas y accesos anticipados.")),
    Choice("sms_birthday", SMS, _("Saludo de cumpleaños"), _("Un SMS con un regalo en tu cumpleaños.")),
)
KEYS = tuple(c.key for c in CHOICES)


def current_choices(prefs: Prefs) -> dict[str, bool]:
    """What the client receives today, as the grid shows it."""
    return {
        "email_service": prefs.accepts_email,
        "email_marketing": prefs.accepts_promotional and prefs.accepts_marketing_email,
        "sms_service": prefs.accepts_sms,
        "sms_marketing": prefs.accepts_promotional and prefs.accepts_marketing_sms,
        "sms_birthday": prefs.accepts_birthday_sms,
    }


def shown_choices(prefs: Prefs) -> dict[str, bool]:
    """The grid as the client should read it: with a channel's booking notices off, nothing goes by
    that channel, so its other boxes show unticked too (the flags underneath are kept, and
    ``_changes`` compares against them, so re-ticking the notices never revives a box left unticked).
    """
    shown = current_choices(prefs)
    for channel in (EMAIL, SMS):
        if not shown[f"{channel}_service"]:
            shown.update({c.key: False for c in CHOICES if c.channel == channel})
    return shown


def _prefs(cliente_id: int) -> Prefs:
    return Prefs.of(ClientPreferences.objects.filter(cliente_id=cliente_id).first())


def _changes(prefs: Prefs, wanted: dict[str, bool]) -> list[tuple[bool, str, str]]:
    """(granted, channel, scope) consent changes that turn ``prefs`` into ``wanted``; grants first."""
    current = current_choices(prefs)
    changes: list[tuple[bool, str, str]] = []
    for key in KEYS:
        if key not in wanted or wanted[key] == current[key]:
            continue
        want = wanted[key]
        if key in ("email_service", "sms_service"):
            changes.append((want, key.split("_")[0], ALL))
        elif key == "sms_birthday":
            changes.append((want, SMS, BIRTHDAY))
        else:
            channel = key.split("_")[0]
            if not want:
                changes.append((False, channel, MARKETING))
                continue
            if not getattr(prefs, f"accepts_marketing_{channel}"):
                changes.append((True, channel, MARKETING))
            if not prefs.accepts_promotional:
                # Promotions were off everywhere; switching them back on for this channel must not
                # switch them on for the other one unless the client asked for that too.
                changes.append((True, ALL, MARKETING))
                other = SMS if channel == EMAIL else EMAIL
                if getattr(prefs, f"accepts_marketing_{other}") and not wanted.get(f"{other}_marketing", False):
                    changes.append((False, other, MARKETING))
    unique = list(dict.fromkeys(changes))
    return sorted(unique, key=lambda change: not change[0])


def apply_choices(cliente_id: int, wanted: dict[str, bool], *, source: str, evidence: dict) -> list[ConsentEvent]:
    """Make the client's consent match ``wanted``; returns the ConsentEvents written (maybe none)."""
    events = []
    with locked_for_consent(cliente_id):
        for granted, channel, scope in _changes(_prefs(cliente_id), wanted):
            change = api.opt_in if granted else api.opt_out
            events.append(change(cliente_id, channel=channel, scope=scope, source=source, evidence=evidence))
    return events


def unsubscribe_from_marketing_email(
    cliente_id: int, *, source: str, evidence: dict, message_id: int | None = None
) -> ConsentEvent | None:
    """The one-click and the unsubscribe link: stop promotional email, keep booking messages.

    Returns the ConsentEvent, or None when the client was already unsubscribed.
    """
    with locked_for_consent(cliente_id):
        if not _prefs(cliente_id).accepts_marketing_email:
            return None
        return api.opt_out(
            cliente_id, channel=EMAIL, scope=MARKETING, source=source, evidence=evidence, message_id=message_id
        )
