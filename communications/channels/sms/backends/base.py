"""The SMS backend contract, in the shape of Django's email backends.

A backend is chosen by dotted path (settings.SMS_BACKEND). ``send`` takes one
message and returns an SmsResult, or raises one of communications.channels.errors.
Subclasses must override ``send``; they may override ``open``/``close`` to hold a
connection. Backends never log destinations or bodies in clear.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from ...errors import ChannelError
from ..message import SmsMessage, SmsResult


class BaseSmsBackend:
    provider = "base"

    def __init__(self, **kwargs):
        self.options = kwargs

    def open(self):
        return None

    def close(self):
        return None

    def send(self, message: SmsMessage) -> SmsResult:  # pragma: no cover - contract
        raise NotImplementedError("SMS backends must implement send()")

    def send_many(self, messages: list[SmsMessage]) -> list[SmsResult | ChannelError]:
        """Several messages with the same text and flags; per message its result or its error.

        Backends may override it to use one provider request for all of them; the default
        sends them one by one. It returns channel errors instead of raising them, so one
        failed destination never fails the others.
        """
        results: list[SmsResult | ChannelError] = []
        for message in messages:
            try:
                results.append(self.send(message))
            except ChannelError as exc:
                results.append(exc)
        return results

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


def get_backend(path: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)(**kwargs)
