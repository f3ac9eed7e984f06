"""Accepts every SMS and does nothing with it (like Django's dummy email backend)."""

import itertools

from ..message import SmsMessage, SmsResult
from .base import BaseSmsBackend

_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    provider = "dummy"

    def send(self, message: SmsMessage) -> SmsResult:
        n = next(_ids)
        return SmsResult(provider=self.provider, batch_id=f"dummy-{n}", message_id=f"dummy-{n}")
