"""Keeps sent SMS in ``outbox`` (a module-level list) for tests to read."""

import itertools

from ..message import SmsMessage, SmsResult
from .base import BaseSmsBackend

outbox: list[SmsMessage] = []
_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    provider = "locmem"

    def send(self, message: SmsMessage) -> SmsResult:
        outbox.append(message)
        n = next(_ids)
        return SmsResult(provider=self.provider, batch_id=f"locmem-{n}", message_id=f"locmem-{n}")
