"""The SMS backend contract, in the shape of Django's email backends.

A backend is chosen by dotted path (settings.SMS_BACKEND). ``send`` takes one
message and returns an SmsResult, or raises one of communications.channels.errors.
Subclasses must override ``send``; they may override ``open``/``close`` to hold a
connection. Backends never log destinations or bodies in clear.
"""

from django.conf import settings
from django.utils.module_loading import import_string

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

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


def get_backend(path: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)(**kwargs)
